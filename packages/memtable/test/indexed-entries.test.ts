import { AssertionError, EntryKind, PACKED_REF_FIELDS, toSeqNum } from '@kv/base';
import type { IndexedEntries } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Memtable } from '../src/index.js';
import type { MemtableEntry } from '../src/index.js';
import { NaiveModel, entriesArbitrary } from './naive-model.js';

/** Entry i in internal order of an indexed run, its key and value read back through the run's buffers. */
function unpack(run: IndexedEntries, i: number): { key: number[]; seq: number; kind: number; value: number[] } {
  const { entries } = run;
  const id = run.order[i] as number;
  const at = PACKED_REF_FIELDS * id;
  const view = (field: number): number[] => Array.from(new Uint8Array(entries.buffers[entries.refs[at + field] as number] as ArrayBuffer, entries.refs[at + field + 1], entries.refs[at + field + 2]));
  return { key: view(0), seq: entries.seqs[id] as number, kind: entries.kinds[id] as number, value: view(3) };
}

const plain = (e: MemtableEntry): { key: number[]; seq: number; kind: number; value: number[] } => ({ key: Array.from(e.key), seq: e.seq, kind: e.kind, value: Array.from(e.value) });

describe('Memtable.indexed', () => {
  it('gives the entries as stored and their ids in internal order, whatever the leaf size', () => {
    // Goal: a flush writes exactly the table's entries, in the order the page file needs.
    // Strategy: random entries into a table and the sorted-array model; index the frozen table.
    // Invariants: the entries are the store's, in the order added; reading them through the
    // order lists the model's entries (key, seq, kind, value bytes), each id once.
    fc.assert(
      fc.property(entriesArbitrary, fc.integer({ min: 2, max: 9 }), (entries, leafSize) => {
        const table = new Memtable({ leafEntryCountMax: leafSize });
        const model = new NaiveModel();
        for (const e of entries) {
          table.add(e.key, e.seq, e.kind, e.value);
          model.add(e);
        }
        table.freeze();
        const run = table.indexed();
        expect(run.entries.count).toBe(entries.length);
        expect(Array.from(run.entries.seqs)).toEqual(entries.map((e) => e.seq));
        expect(run.order).toBeInstanceOf(Int32Array);
        expect(new Set(run.order).size).toBe(entries.length);
        expect(Array.from({ length: run.order.length }, (_, i) => unpack(run, i))).toEqual(model.entries.map(plain));
        // Reads go on after indexing, and a second call gives the same.
        for (const e of entries) expect(table.get(e.key, e.seq)?.seq).toBeGreaterThanOrEqual(e.seq);
        expect(Array.from(table.indexed().order)).toEqual(Array.from(run.order));
      }),
    );
  });

  it('references the bytes where they lie: entries sharing one buffer index that one buffer', () => {
    const shared = new Uint8Array(64);
    for (let i = 0; i < 64; i++) shared[i] = i;
    const table = new Memtable({ referenceBytes: true });
    table.add(shared.subarray(10, 12), toSeqNum(2), EntryKind.Put, shared.subarray(20, 25));
    table.add(shared.subarray(0, 3), toSeqNum(1), EntryKind.Put, shared.subarray(40, 41));
    table.freeze();
    const run = table.indexed();
    expect(run.entries.buffers).toEqual([shared.buffer]);
    expect(Array.from(run.entries.refs)).toEqual([0, 10, 2, 0, 20, 5, 0, 0, 3, 0, 40, 1]);
    expect(Array.from(run.entries.seqs)).toEqual([2, 1]);
    expect(Array.from(run.order)).toEqual([1, 0]);
  });

  it('indexes an empty table as no entries, and refuses a table that is not frozen', () => {
    const table = new Memtable();
    expect(() => table.indexed()).toThrow(AssertionError);
    table.freeze();
    const run = table.indexed();
    expect(run.entries.count).toBe(0);
    expect(run.order.length).toBe(0);
  });
});

describe('Memtable bytes', () => {
  it('copies keys, values and range tombstone bounds by default: the caller may reuse its arrays', () => {
    const key = Uint8Array.of(1, 2);
    const value = Uint8Array.of(9, 9, 9);
    const start = Uint8Array.of(5);
    const end = Uint8Array.of(7);
    const table = new Memtable();
    table.add(key, toSeqNum(1), EntryKind.Put, value);
    table.addRangeTombstone({ start, end, seq: toSeqNum(2) });
    key.fill(0);
    value.fill(0);
    start.fill(0);
    end.fill(0);
    expect(Array.from(table.get(Uint8Array.of(1, 2), toSeqNum(5))?.value ?? [])).toEqual([9, 9, 9]);
    expect(table.rangeTombstones.map((t) => [Array.from(t.start), Array.from(t.end ?? [])])).toEqual([[[5], [7]]]);
    // Copies share the table's chunks: a thousand entries, one buffer.
    for (let i = 0; i < 1000; i++) table.add(Uint8Array.of(3, i >> 8, i & 0xff), toSeqNum(10 + i), EntryKind.Put, new Uint8Array(20));
    table.freeze();
    expect(table.indexed().entries.buffers.length).toBe(1);
  });

  it('keeps a value of a quarter chunk or more in a buffer of its own', () => {
    const table = new Memtable();
    const big = new Uint8Array(64 * 1024).fill(7);
    table.add(Uint8Array.of(1), toSeqNum(1), EntryKind.Put, big);
    table.add(Uint8Array.of(2), toSeqNum(2), EntryKind.Put, Uint8Array.of(1));
    big.fill(0);
    expect(table.get(Uint8Array.of(1), toSeqNum(9))?.value.every((byte) => byte === 7)).toBe(true);
    expect(table.get(Uint8Array.of(1), toSeqNum(9))?.value.length).toBe(64 * 1024);
    expect(Array.from(table.get(Uint8Array.of(2), toSeqNum(9))?.value ?? [])).toEqual([1]);
  });
});

describe('Memtable bytes from Node Buffers', () => {
  it('copies Buffers too (their slice() is a view): reusing them changes nothing in the table', () => {
    // Regression: the copies were made with slice(), which on a Buffer shares the memory, so
    // a large value, the tree's head and range tombstone bounds changed with the caller's
    // Buffer (and a large value taken at an offset read back from the wrong place).
    const backing = Buffer.alloc(90_000, 0x42);
    const big = backing.subarray(100, 70_100);
    const firstKey = Buffer.from('aaaa9');
    const start = Buffer.from('s');
    const table = new Memtable();
    table.add(firstKey, toSeqNum(1), EntryKind.Put, big);
    table.addRangeTombstone({ start, end: undefined, seq: toSeqNum(2) });
    backing.fill(0x11);
    firstKey.write('bbbb9');
    start.write('t');
    table.add(Buffer.from('bbbb1'), toSeqNum(3), EntryKind.Put, Buffer.from('x'));
    const value = table.get(Buffer.from('aaaa9'), toSeqNum(9))?.value;
    expect(value?.length).toBe(70_000);
    expect(value?.every((byte) => byte === 0x42)).toBe(true);
    expect(Array.from(table.get(Buffer.from('bbbb1'), toSeqNum(9))?.value ?? [])).toEqual([0x78]);
    expect(Array.from(table.rangeTombstones[0]?.start ?? [])).toEqual([0x73]);
  });
});
