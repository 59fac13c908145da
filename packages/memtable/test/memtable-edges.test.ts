import { compareBytes, EntryKind, toSeqNum } from '@kv/base';
import { describe, expect, it } from 'vitest';
import { Memtable } from '../src/index.js';
import type { MemtableIterator } from '../src/index.js';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

function forwardKeys(iterator: MemtableIterator): number[][] {
  const keys: number[][] = [];
  for (iterator.seekToFirst(); iterator.valid; iterator.next()) keys.push(Array.from(iterator.entry.key));
  return keys;
}

describe('Memtable edge cases', () => {
  it('has an invalid iterator and no entries when empty', () => {
    const table = new Memtable();
    const iterator = table.iterator();
    expect(iterator.valid).toBe(false);
    iterator.seekToFirst();
    expect(iterator.valid).toBe(false);
    iterator.seekToLast();
    expect(iterator.valid).toBe(false);
    iterator.seek(bytes());
    expect(iterator.valid).toBe(false);
    iterator.seekForPrev(bytes(0xff));
    expect(iterator.valid).toBe(false);
    expect(table.get(bytes(), toSeqNum(1))).toBeUndefined();
  });

  it('stores an empty key and an empty value', () => {
    const table = new Memtable();
    table.add(bytes(), toSeqNum(1), EntryKind.Put, bytes());
    table.add(bytes(), toSeqNum(2), EntryKind.Put, bytes(5));
    expect(table.get(bytes(), toSeqNum(1))?.value).toEqual(bytes());
    expect(table.get(bytes(), toSeqNum(2))?.value).toEqual(bytes(5));
    expect(table.get(bytes(), toSeqNum(0))).toBeUndefined();
    expect(table.get(bytes(0), toSeqNum(9))).toBeUndefined();
    expect(table.dataBytes).toBe(1);
    const iterator = table.iterator();
    iterator.seekForPrev(bytes());
    expect(iterator.entry.seq).toBe(1);
  });

  it('orders prefixes, zero padding, 0xff bytes and long keys like compareBytes', () => {
    // Keys sharing the 6-byte prefix the leaves compare first, or differing only by trailing zeros.
    const keys = [
      bytes(), bytes(0), bytes(0, 0), bytes(0, 0, 0, 0, 0, 0, 0), bytes(0xff), bytes(0xff, 0xff),
      bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff), bytes(1, 2, 3, 4, 5, 6),
      bytes(1, 2, 3, 4, 5, 6, 0), bytes(1, 2, 3, 4, 5, 6, 7), bytes(1, 2, 3, 4, 5), bytes(1, 2, 3, 4, 5, 7),
      bytes(0x7f), bytes(0x80), Uint8Array.from({ length: 100 }, () => 0x61), Uint8Array.from({ length: 99 }, () => 0x61),
    ];
    const table = new Memtable({ leafEntryCountMax: 3 });
    keys.forEach((key, i) => table.add(key, toSeqNum(i + 1), EntryKind.Put, bytes(i)));
    const sorted = [...keys].sort(compareBytes).map((k) => Array.from(k));
    expect(forwardKeys(table.iterator())).toEqual(sorted);
    keys.forEach((key, i) => expect(table.get(key, toSeqNum(100))?.value).toEqual(bytes(i)));
    expect(table.get(bytes(1, 2, 3, 4, 5, 6, 0, 0), toSeqNum(100))).toBeUndefined();
  });

  it('returns versions newest first and seeks within one key by seq', () => {
    const table = new Memtable({ leafEntryCountMax: 2 });
    for (const seq of [5, 1, 9, 3, 7]) table.add(bytes(4), toSeqNum(seq), EntryKind.Put, bytes(seq));
    table.add(bytes(3), toSeqNum(2), EntryKind.Put, bytes());
    table.add(bytes(5), toSeqNum(4), EntryKind.Delete, bytes());
    expect(table.get(bytes(4), toSeqNum(8))?.seq).toBe(7);
    expect(table.get(bytes(4), toSeqNum(0))).toBeUndefined();
    expect(table.get(bytes(5), toSeqNum(4))?.kind).toBe(EntryKind.Delete);
    const iterator = table.iterator();
    iterator.seek(bytes(4));
    expect(iterator.entry.seq).toBe(9);
    iterator.seek(bytes(4), toSeqNum(6));
    expect(iterator.entry.seq).toBe(5);
    iterator.seekForPrev(bytes(4));
    expect(iterator.entry.seq).toBe(1);
    iterator.seekForPrev(bytes(4), toSeqNum(6));
    expect(iterator.entry.seq).toBe(7);
    iterator.prev();
    expect(iterator.entry.seq).toBe(9);
    iterator.prev();
    expect(Array.from(iterator.entry.key)).toEqual([3]);
    iterator.prev();
    expect(iterator.valid).toBe(false);
  });

  it('keeps leaves full on a sequential load and still finds every key', () => {
    const table = new Memtable({ leafEntryCountMax: 4 });
    for (let i = 0; i < 1000; i++) table.add(bytes(i >> 8, i & 0xff), toSeqNum(i + 1), EntryKind.Put, bytes());
    for (let i = 0; i < 1000; i += 37) expect(table.get(bytes(i >> 8, i & 0xff), toSeqNum(5000))?.seq).toBe(i + 1);
    expect(forwardKeys(table.iterator())).toHaveLength(1000);
  });
});
