import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryKind, EntryPacker, compareBytes, toSeqNum } from '../src/index.js';
import type { InternalEntry, SeqNum } from '../src/index.js';

/** Entries whose keys and values are views at random places of a few shared buffers. */
const entriesArbitrary = fc
  .array(fc.record({ key: fc.uint8Array({ maxLength: 70 }), value: fc.uint8Array({ maxLength: 12 }), put: fc.boolean(), buffer: fc.nat(2) }), { maxLength: 40 })
  .map((specs) => {
    const buffers = [new Uint8Array(4096), new Uint8Array(4096), new Uint8Array(4096)];
    const used = [0, 0, 0];
    const place = (bytes: Uint8Array, b: number): Uint8Array => {
      const into = buffers[b] as Uint8Array;
      const at = used[b] as number;
      into.set(bytes, at);
      used[b] = at + bytes.length + 1;
      return into.subarray(at, at + bytes.length);
    };
    return specs.map((spec, i): InternalEntry => ({
      key: place(spec.key, spec.buffer),
      seq: toSeqNum(i + 1),
      kind: spec.put ? EntryKind.Put : EntryKind.Delete,
      value: spec.put ? place(spec.value, (spec.buffer + 1) % 3) : new Uint8Array(0),
    }));
  });

const plain = (e: InternalEntry): unknown => ({ key: Array.from(e.key), seq: e.seq, kind: e.kind, value: Array.from(e.value) });

describe('EntryPacker', () => {
  it('reads back every entry it was given, in place, past its first size', () => {
    // Goal: the memtable's store returns exactly what was appended, without copying bytes.
    // Strategy: entries at random places of three shared buffers into a packer sized for one
    // (so it doubles several times). Invariants: entryAt, keyAt, valueAt, seqAt, kindAt give
    // the entry back; compareKeyAt orders like compareBytes; keys are views of the buffers
    // they came from; the buffers are registered once each.
    fc.assert(
      fc.property(entriesArbitrary, fc.uint8Array({ maxLength: 70 }), (entries, probe) => {
        const packer = new EntryPacker(1);
        entries.forEach((e, i) => expect(packer.add(e)).toBe(i));
        expect(packer.length).toBe(entries.length);
        entries.forEach((e, i) => {
          expect(plain(packer.entryAt(i))).toEqual(plain(e));
          expect(packer.keyAt(i).buffer).toBe(e.key.buffer);
          expect(packer.keyAt(i).byteOffset).toBe(e.key.byteOffset);
          expect(Math.sign(packer.compareKeyAt(i, probe))).toBe(Math.sign(compareBytes(e.key, probe)));
        });
        expect(new Set(packer.entries().buffers).size).toBe(packer.entries().buffers.length);
      }),
    );
  });

  it('references a key and a value given as offsets into one array as append references views of them', () => {
    // Goal: `appendRange` (the write path's: key and value in one batch payload, no views) and
    // `compareKeyRange` agree with `append` and `compareKeyAt` on the same bytes.
    // Strategy: each entry's key and value copied into one array (a subarray of a larger one,
    // so its byteOffset is not 0) after a gap; probes compared as ranges of another array.
    // Invariants: the entries read back equal, keys view that array at the right place, and
    // compareKeyRange orders like compareBytes.
    fc.assert(
      fc.property(entriesArbitrary, fc.uint8Array({ maxLength: 70 }), fc.nat(5), (entries, probe, gap) => {
        const whole = new Uint8Array(8 + entries.reduce((bytes, e) => bytes + e.key.length + e.value.length + 2 * gap, 0));
        const payload = whole.subarray(8);
        const probeHolder = new Uint8Array(probe.length + gap);
        probeHolder.set(probe, gap);
        const packer = new EntryPacker(1);
        let at = 0;
        entries.forEach((e, i) => {
          const keyStart = at + gap;
          payload.set(e.key, keyStart);
          const valueStart = keyStart + e.key.length + gap;
          payload.set(e.value, valueStart);
          at = valueStart + e.value.length;
          expect(packer.appendRange(payload, keyStart, e.key.length, e.seq, e.kind, valueStart, e.value.length)).toBe(i);
          expect(packer.keyAt(i).buffer).toBe(whole.buffer);
          expect(packer.keyAt(i).byteOffset).toBe(8 + keyStart);
        });
        entries.forEach((e, i) => {
          expect(plain(packer.entryAt(i))).toEqual(plain(e));
          expect(Math.sign(packer.compareKeyRange(i, probeHolder, gap, probe.length))).toBe(Math.sign(compareBytes(e.key, probe)));
        });
      }),
    );
  });

  it('gives the entries added so far as views of its arrays, and goes on reading and appending', () => {
    fc.assert(
      fc.property(entriesArbitrary, (entries) => {
        const packer = new EntryPacker(1);
        const half = Math.floor(entries.length / 2);
        entries.slice(0, half).forEach((e) => packer.add(e));
        const first = packer.entries();
        expect(first.count).toBe(half);
        expect(first.seqs.length).toBe(half);
        expect(first.refs.length).toBe(6 * half);
        entries.slice(half).forEach((e) => packer.add(e));
        const all = packer.entries();
        const runBytes = all.buffers.map((buffer) => new Uint8Array(buffer));
        const reread = Array.from({ length: all.count }, (_, i) => {
          const at = 6 * i;
          const view = (field: number): Uint8Array => (runBytes[all.refs[at + field] as number] as Uint8Array).subarray(all.refs[at + field + 1], (all.refs[at + field + 1] as number) + (all.refs[at + field + 2] as number));
          return plain({ key: view(0), seq: all.seqs[i] as SeqNum, kind: all.kinds[i] as EntryKind, value: view(3) });
        });
        expect(reread).toEqual(entries.map((e) => plain(e)));
        expect(entries.map((_, i) => plain(packer.entryAt(i)))).toEqual(entries.map((e) => plain(e)));
      }),
    );
  });

  it('copies its arrays for a caller that transfers them, exactly as long as the entries', () => {
    const packer = new EntryPacker(16);
    for (let i = 0; i < 5; i++) packer.append(Uint8Array.of(i), i + 1, EntryKind.Put, Uint8Array.of(9));
    const copy = packer.entriesCopy();
    expect([copy.count, copy.seqs.length, copy.kinds.length, copy.refs.length]).toEqual([5, 5, 5, 30]);
    expect([copy.seqs.buffer.byteLength, copy.refs.buffer.byteLength]).toEqual([40, 120]);
    // Transferring the copy leaves the packer's own arrays usable.
    structuredClone(copy, { transfer: [copy.seqs.buffer, copy.kinds.buffer, copy.refs.buffer] as ArrayBuffer[] });
    expect(copy.seqs.length).toBe(0);
    expect(Array.from(packer.entries().seqs)).toEqual([1, 2, 3, 4, 5]);
    expect(Array.from(packer.keyAt(4))).toEqual([4]);
  });

  it('refuses an expected count that is not a non-negative integer', () => {
    for (const expected of [-1, 1.5, Number.NaN]) expect(() => new EntryPacker(expected)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
