import { AssertionError, EntryKind, toSeqNum } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ENTRY_OVERHEAD_BYTES, Memtable } from '../src/index.js';
import { entriesArbitrary } from './naive-model.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('Memtable accounting', () => {
  it('counts entries, bytes and the seq range exactly', () => {
    // Goal: the engine flushes on memoryBytes and records seqMin/seqMax, so they must be exact.
    // Strategy: random entries; after each add compare with sums kept by the test.
    // Invariants: entryCount = adds; dataBytes = sum of key.length + value.length;
    // memoryBytes = dataBytes + entryCount * overhead; seqMin/seqMax = min/max seq added.
    fc.assert(
      fc.property(entriesArbitrary, fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }), (entries, overhead) => {
        const table = new Memtable(overhead === undefined ? {} : { entryOverheadBytes: overhead });
        const perEntry = overhead ?? ENTRY_OVERHEAD_BYTES;
        let dataBytes = 0;
        const seqs: number[] = [];
        for (const e of entries) {
          table.add(e.key, e.seq, e.kind, e.value);
          dataBytes += e.key.length + e.value.length;
          seqs.push(e.seq);
          expect(table.entryCount).toBe(seqs.length);
          expect(table.dataBytes).toBe(dataBytes);
          expect(table.memoryBytes).toBe(dataBytes + seqs.length * perEntry);
          expect(table.seqMin).toBe(Math.min(...seqs));
          expect(table.seqMax).toBe(Math.max(...seqs));
        }
      }),
    );
  });

  it('reports zero bytes and no seq range when empty', () => {
    const table = new Memtable();
    expect(table.entryCount).toBe(0);
    expect(table.dataBytes).toBe(0);
    expect(table.memoryBytes).toBe(0);
    expect(table.seqMin).toBeUndefined();
    expect(table.seqMax).toBeUndefined();
    expect(table.frozen).toBe(false);
  });
});

describe('Memtable freeze and misuse', () => {
  it('treats an add after freeze as a bug and keeps serving reads', () => {
    const table = new Memtable();
    table.add(bytes(1), toSeqNum(1), EntryKind.Put, bytes(10));
    table.add(bytes(2), toSeqNum(2), EntryKind.Delete, bytes());
    table.freeze();
    expect(table.frozen).toBe(true);
    expect(() => table.add(bytes(3), toSeqNum(3), EntryKind.Put, bytes(30))).toThrow(AssertionError);
    expect(table.entryCount).toBe(2);
    expect(table.get(bytes(1), toSeqNum(9))?.value).toEqual(bytes(10));
    expect(table.get(bytes(2), toSeqNum(9))?.kind).toBe(EntryKind.Delete);
    const iterator = table.iterator();
    iterator.seekToLast();
    expect(iterator.entry.seq).toBe(2);
  });

  it('rejects adding the same (key, seq) twice', () => {
    const table = new Memtable({ leafEntryCountMax: 2 });
    for (let seq = 1; seq <= 5; seq++) table.add(bytes(seq), toSeqNum(seq), EntryKind.Put, bytes());
    expect(() => table.add(bytes(3), toSeqNum(3), EntryKind.Put, bytes(1))).toThrow(AssertionError);
    expect(() => table.add(bytes(5), toSeqNum(5), EntryKind.Put, bytes(1))).toThrow(AssertionError);
    // The same seq under another key is not this check's business: the engine owns seqs.
    expect(table.entryCount).toBe(5);
  });

  it('rejects a delete that carries a value', () => {
    const table = new Memtable();
    expect(() => table.add(bytes(1), toSeqNum(1), EntryKind.Delete, bytes(1))).toThrow(AssertionError);
  });

  it('rejects reading the entry of an invalid iterator and stepping it', () => {
    const table = new Memtable();
    const iterator = table.iterator();
    expect(() => iterator.entry).toThrow(AssertionError);
    expect(() => iterator.next()).toThrow(AssertionError);
    expect(() => iterator.prev()).toThrow(AssertionError);
  });
});
