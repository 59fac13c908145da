import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryKind, toSeqNum } from '@kv/base';
import type { InternalEntry } from '@kv/base';
import { Memtable } from '@kv/memtable';
import { applyBatch } from '../src/apply-batch.js';
import { decodeBatch, prepareBatch, setBatchSequence } from '../src/batch-codec.js';
import { newEngineMemtable } from '../src/memory-plan.js';
import { OpKind, applyOp } from '../src/write-op.js';
import type { WriteOp } from '../src/write-op.js';

/** Few distinct short keys, so batches repeat keys and range deletions overlap entries. */
const key = fc.uint8Array({ minLength: 0, maxLength: 3 }).map((bytes) => bytes.map((b) => b % 4));
const writeOp: fc.Arbitrary<WriteOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant(EntryKind.Put), key, value: fc.uint8Array({ maxLength: 200 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant(EntryKind.Delete), key, value: fc.constant(new Uint8Array(0)) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant(OpKind.RangeDelete), key, value: fc.constant(new Uint8Array(0)), end: fc.option(key, { nil: undefined }) }) },
);

function entries(memtable: Memtable): InternalEntry[] {
  const out: InternalEntry[] = [];
  const iterator = memtable.iterator();
  for (iterator.seekToFirst(); iterator.valid; iterator.next()) {
    const { key: k, seq, kind, value } = iterator.entry;
    out.push({ key: Uint8Array.from(k), seq, kind, value: Uint8Array.from(value) });
  }
  return out;
}

function tombstones(memtable: Memtable): { start: number[]; end: number[] | undefined; seq: number }[] {
  return memtable.rangeTombstones.map((t) => ({ start: [...t.start], end: t.end === undefined ? undefined : [...t.end], seq: t.seq }));
}

describe('applyBatch', () => {
  // Goal: applying a payload in place (offsets, no views) adds exactly what applying its
  // decoded operations one by one adds. Strategy: random batches over a tiny key space (so
  // keys repeat within and across batches), applied in sequence to a referencing memtable,
  // a copying one, and a reference memtable fed by `decodeBatch` + `applyOp`. Invariants:
  // the same entries in the same internal order, the same range tombstones, the same counts;
  // the referencing memtable's entries live in the payloads (shared memory), with no copy.
  it('adds what the decoded operations add, referencing the payload in place', () => {
    fc.assert(
      fc.property(fc.array(fc.array(writeOp, { minLength: 1, maxLength: 8 }), { minLength: 1, maxLength: 12 }), fc.integer({ min: 1, max: 2 ** 40 }), (batches, firstSeq) => {
        const referencing = newEngineMemtable();
        const copying = new Memtable();
        const reference = new Memtable();
        let seq = firstSeq;
        const payloadBuffers = new Set<ArrayBufferLike>();
        for (const ops of batches) {
          const { payload, count } = prepareBatch(ops);
          setBatchSequence(payload, toSeqNum(seq));
          payloadBuffers.add(payload.buffer);
          expect(applyBatch(referencing, payload, 'test')).toBe(count);
          expect(applyBatch(copying, payload, 'test')).toBe(count);
          const decoded = decodeBatch(payload, 'test');
          decoded.ops.forEach((op, i) => applyOp(reference, op, decoded.firstSeq + i));
          seq += count;
        }
        for (const memtable of [referencing, copying]) {
          expect(entries(memtable)).toEqual(entries(reference));
          expect(tombstones(memtable)).toEqual(tombstones(reference));
          expect([memtable.entryCount, memtable.dataBytes, memtable.seqMin, memtable.seqMax]).toEqual([reference.entryCount, reference.dataBytes, reference.seqMin, reference.seqMax]);
        }
        referencing.freeze();
        for (const buffer of referencing.indexed().entries.buffers) expect(payloadBuffers.has(buffer)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a damaged payload with CORRUPTION', () => {
    const { payload } = prepareBatch([{ kind: EntryKind.Put, key: Uint8Array.of(1), value: Uint8Array.of(2, 3) }]);
    setBatchSequence(payload, toSeqNum(1));
    expect(() => applyBatch(new Memtable(), payload.subarray(0, payload.length - 1), 'cut')).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
  });
});
