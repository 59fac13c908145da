import { describe, expect, it } from 'vitest';
import { toSeqNum } from '@kv/base';
import { ENTRY_OVERHEAD_BYTES, Memtable } from '../src/index.js';

const key = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('range tombstones in a memtable', () => {
  it('are kept in order, indexed, and counted in memory and sequence bounds', () => {
    const table = new Memtable();
    expect(table.isEmpty).toBe(true);
    table.add(key('a'), toSeqNum(3), 1, key('x'));
    table.addRangeTombstone({ start: key('a'), end: key('c'), seq: toSeqNum(7) });
    table.addRangeTombstone({ start: key('b'), end: undefined, seq: toSeqNum(5) });
    expect(table.isEmpty).toBe(false);
    expect(table.entryCount).toBe(1);
    expect(table.rangeTombstones.map((t) => t.seq)).toEqual([7, 5]);
    expect(table.rangeTombstoneIndex.coveringSeq(key('b'), 100)).toBe(7);
    expect(table.rangeTombstoneIndex.coveringSeq(key('z'), 100)).toBe(5);
    expect(table.seqMin).toBe(3);
    expect(table.seqMax).toBe(7);
    expect(table.memoryBytes).toBe(2 + 2 + 1 + 3 * ENTRY_OVERHEAD_BYTES);
  });

  it('are refused once frozen', () => {
    const table = new Memtable();
    table.freeze();
    expect(() => table.addRangeTombstone({ start: key('a'), end: key('b'), seq: toSeqNum(1) })).toThrow();
  });

  it('counts a table holding only a range tombstone as not empty', () => {
    const table = new Memtable();
    table.addRangeTombstone({ start: key(''), end: undefined, seq: toSeqNum(1) });
    expect(table.isEmpty).toBe(false);
    expect(table.entryCount).toBe(0);
  });
});
