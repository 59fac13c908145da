import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryKind, encodeExpiringValue, toSeqNum } from '@kv/base';
import { decodeBatch, encodeBatch, prepareBatch } from '../src/batch-codec.js';
import { OpKind } from '../src/write-op.js';
import type { WriteOp } from '../src/write-op.js';

const writeOp: fc.Arbitrary<WriteOp> = fc.oneof(
  fc.record({ kind: fc.constant(EntryKind.Put), key: fc.uint8Array({ maxLength: 300 }), value: fc.uint8Array({ maxLength: 300 }) }),
  fc.record({ kind: fc.constant(EntryKind.Delete), key: fc.uint8Array({ maxLength: 300 }), value: fc.constant(new Uint8Array(0)) }),
  fc.record({
    kind: fc.constant(EntryKind.PutExpiring),
    key: fc.uint8Array({ maxLength: 300 }),
    value: fc.tuple(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ maxLength: 300 })).map(([at, value]) => encodeExpiringValue(at, value)),
  }),
  fc.record({
    kind: fc.constant(OpKind.RangeDelete),
    key: fc.uint8Array({ maxLength: 300 }),
    value: fc.constant(new Uint8Array(0)),
    end: fc.option(fc.uint8Array({ maxLength: 300 }), { nil: undefined }),
  }),
);
const seq = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER - 2000 });

describe('batch codec', () => {
  // Goal: any batch survives encode/decode. Strategy: random ops (puts, deletes, empty keys
  // and values, lengths crossing the 1-byte varint boundary) and sequence numbers up to 2^53.
  // Invariants: decode(encode(b)) = b, and the payload has no slack.
  it('round-trips any batch', () => {
    fc.assert(
      fc.property(seq, fc.array(writeOp, { minLength: 1, maxLength: 20 }), (firstSeq, ops) => {
        const decoded = decodeBatch(encodeBatch(toSeqNum(firstSeq), ops), 'test');
        expect(decoded.firstSeq).toBe(firstSeq);
        expect(decoded.ops).toEqual(ops);
      }),
    );
  });

  // Goal: the payload the memtable references (and a flush sends to the worker thread) is
  // shared memory, so posting a flush job shares it instead of copying the memtable's bytes;
  // and the prepared counts are right. Strategy: prepare batches of small ops and of one op
  // larger than the allocator's chunk quarter (an array of its own). Invariants: the payload
  // views a SharedArrayBuffer; `count` is the number of ops and `userBytes` the bytes of their
  // keys, values and range ends.
  it('prepares payloads in shared memory, small batches and large ones alike', () => {
    fc.assert(
      fc.property(fc.array(writeOp, { minLength: 1, maxLength: 5 }), fc.boolean(), (ops, large) => {
        const all = large ? [...ops, { kind: OpKind.Put, key: new Uint8Array(3), value: new Uint8Array(40_000) } satisfies WriteOp] : ops;
        const prepared = prepareBatch(all);
        expect(prepared.payload.buffer).toBeInstanceOf(SharedArrayBuffer);
        expect(prepared.count).toBe(all.length);
        expect(prepared.userBytes).toBe(all.reduce((sum, op) => sum + op.key.length + op.value.length + (op.end?.length ?? 0), 0));
      }),
      { numRuns: 50 },
    );
  });

  // Goal: malformed payloads are CORRUPTION, never a crash or a wrong batch.
  // Strategy: cut a valid payload short at every length, and append a trailing byte.
  // Invariants: decode throws a KvError with code CORRUPTION.
  it('rejects every truncation and trailing garbage', () => {
    fc.assert(
      fc.property(seq, fc.array(writeOp, { minLength: 1, maxLength: 5 }), (firstSeq, ops) => {
        const payload = encodeBatch(toSeqNum(firstSeq), ops);
        for (let cut = 0; cut < payload.length; cut++) {
          expect(() => decodeBatch(payload.subarray(0, cut), 'test')).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
        }
        const longer = Uint8Array.from([...payload, 0]);
        expect(() => decodeBatch(longer, 'test')).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
      }),
      { numRuns: 50 },
    );
  });

  it('rejects an unknown kind and a zero sequence number', () => {
    const payload = encodeBatch(toSeqNum(1), [{ kind: EntryKind.Put, key: Uint8Array.of(1), value: Uint8Array.of(2) }]);
    const badKind = payload.slice();
    badKind[12] = 7;
    expect(() => decodeBatch(badKind, 'w')).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
    const zeroSeq = payload.slice();
    zeroSeq[0] = 0;
    expect(() => decodeBatch(zeroSeq, 'w')).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
  });

  it('matches the version 1 golden fixture byte for byte', () => {
    const golden = new Uint8Array(readFileSync(new URL('./fixtures/v1-batch.bin', import.meta.url)));
    const ops: WriteOp[] = [
      { kind: EntryKind.Put, key: new TextEncoder().encode('a'), value: new TextEncoder().encode('xy') },
      { kind: EntryKind.Delete, key: new TextEncoder().encode('b'), value: new Uint8Array(0) },
    ];
    expect(encodeBatch(toSeqNum(1), ops)).toEqual(golden);
    const decoded = decodeBatch(golden, 'fixture');
    expect(decoded.firstSeq).toBe(1);
    expect(decoded.ops).toEqual(ops);
  });

  it('matches the version 2 golden fixture (expiring put, range deletions) byte for byte', () => {
    const url = new URL('./fixtures/v2-batch.bin', import.meta.url);
    const text = (value: string): Uint8Array => new TextEncoder().encode(value);
    const ops: WriteOp[] = [
      { kind: EntryKind.PutExpiring, key: text('session'), value: encodeExpiringValue(1_700_000_060_000, text('token')) },
      { kind: OpKind.RangeDelete, key: text('a'), value: new Uint8Array(0), end: text('c') },
      { kind: OpKind.RangeDelete, key: text('x'), value: new Uint8Array(0), end: undefined },
    ];
    // Written once when missing, never regenerated.
    if (!existsSync(url)) writeFileSync(url, encodeBatch(toSeqNum(41), ops));
    const golden = new Uint8Array(readFileSync(url));
    expect(encodeBatch(toSeqNum(41), ops)).toEqual(golden);
    const decoded = decodeBatch(golden, 'fixture');
    expect(decoded.firstSeq).toBe(41);
    expect(decoded.ops).toEqual(ops);
  });

  it('rejects an expiring put too short for its expiry and a bad range end flag', () => {
    const short = encodeBatch(toSeqNum(1), [{ kind: EntryKind.Put, key: Uint8Array.of(1), value: Uint8Array.of(2) }]);
    short[12] = EntryKind.PutExpiring;
    expect(() => decodeBatch(short, 'w')).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
    const range = encodeBatch(toSeqNum(1), [{ kind: OpKind.RangeDelete, key: Uint8Array.of(1), value: new Uint8Array(0), end: undefined }]);
    range[range.length - 1] = 2;
    expect(() => decodeBatch(range, 'w')).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
  });
});
