import { assert, commonPrefixLength, compareBytes, keyPrefix } from '@kv/base';
import { compareToTarget } from './internal-order.js';
import { Leaf } from './leaf.js';
import type { MemtableEntry } from './memtable-entry.js';

/**
 * A two-level B+tree: a directory of leaves, each a sorted array of up to `leafEntryCountMax`
 * entries. The directory holds the first entry of every leaf after the first, with its key
 * prefix in a Float64Array, and finds a leaf by binary search; the leaf then finds the entry.
 *
 * Why two levels are enough: a memtable holds at most a few million entries, so with leaves of
 * 128 the directory has tens of thousands of slots, and the splice that adds a slot on a split
 * costs less, per insert, than one cache miss.
 *
 * Facts the rest relies on: leaves are never empty except the single leaf of an empty table,
 * never removed, and never change their first entry, except the first leaf, which takes every
 * target smaller than the second leaf's first entry.
 *
 * Prefixes are taken after the head every key in the table starts with (see `prefixOf`), so
 * keys that start alike (zero-padded numbers, a common namespace) still differ in their
 * prefixes. A key that does not start with the head shortens it, and every prefix is taken
 * again: O(entries), at most once per byte of the head, which is at most `HEAD_BYTES_MAX`.
 */
/** The longest head kept: bounds how often a shorter key makes the table retake its prefixes. */
const HEAD_BYTES_MAX = 32;

export class SortedLeaves {
  readonly leaves: Leaf[];
  private readonly leafEntryCountMax: number;
  /** `firsts[i]` is the first entry of `leaves[i + 1]`; `firstPrefixes[i]` is its key prefix. */
  private readonly firsts: MemtableEntry[] = [];
  private firstPrefixes: Float64Array = new Float64Array(64);
  /** What every key in the table starts with; undefined while the table is empty. */
  private head: Uint8Array | undefined = undefined;

  constructor(leafEntryCountMax: number) {
    assert(leafEntryCountMax >= 2, 'a leaf must hold at least two entries to split');
    this.leafEntryCountMax = leafEntryCountMax;
    this.leaves = [new Leaf(leafEntryCountMax + 1)];
  }

  get firstLeaf(): Leaf {
    return this.leaves[0] as Leaf;
  }

  get lastLeaf(): Leaf {
    return this.leaves[this.leaves.length - 1] as Leaf;
  }

  /**
   * The number the searches compare for `key`: its prefix after the head, or -Infinity /
   * Infinity when the key leaves the head below / above it (it then sorts before / after
   * every entry, and the searches run to the start / end without reading a key).
   */
  prefixOf(key: Uint8Array): number {
    const head = this.head;
    if (head === undefined) return keyPrefix(key);
    for (let j = 0; j < head.length; j++) {
      if (j === key.length) return -Infinity;
      const diff = (key[j] as number) - (head[j] as number);
      if (diff !== 0) return diff < 0 ? -Infinity : Infinity;
    }
    return keyPrefix(key, head.length);
  }

  /** Index of the last leaf whose first entry is <= the target, or 0 when there is none. */
  findLeafIndex(key: Uint8Array, prefix: number, seq: number): number {
    const firsts = this.firsts;
    const prefixes = this.firstPrefixes;
    let low = 0;
    let high = firsts.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midPrefix = prefixes[mid] as number;
      const order =
        midPrefix !== prefix ? midPrefix - prefix : compareToTarget(firsts[mid] as MemtableEntry, key, seq);
      if (order <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The first entry >= (key, seq) in internal order, or undefined. */
  ceiling(key: Uint8Array, prefix: number, seq: number): MemtableEntry | undefined {
    const leaf = this.leaves[this.findLeafIndex(key, prefix, seq)] as Leaf;
    const index = leaf.rank(key, prefix, seq, false);
    // Past the end of its leaf, the answer is the next leaf's first entry: that one is > target,
    // or the directory would have chosen its leaf.
    if (index < leaf.entries.length) return leaf.entries[index];
    return leaf.next?.entries[0];
  }

  /** Requires: no entry with the same (key, seq) is present. */
  insert(entry: MemtableEntry): void {
    this.fitHead(entry.key);
    const prefix = this.prefixOf(entry.key);
    let leafIndex = this.leaves.length - 1;
    let leaf = this.lastLeaf;
    let index = leaf.entries.length;
    const last = leaf.entries[index - 1];
    // Sequential loads append: one comparison with the last entry skips both searches.
    if (last === undefined || compareToTarget(last, entry.key, entry.seq) >= 0) {
      leafIndex = this.findLeafIndex(entry.key, prefix, entry.seq);
      leaf = this.leaves[leafIndex] as Leaf;
      index = leaf.rank(entry.key, prefix, entry.seq, false);
      assert(!isSameEntry(leaf.entries[index], entry), '(key, seq) added twice');
    }
    leaf.insert(index, entry, prefix);
    if (leaf.entries.length > this.leafEntryCountMax) this.split(leafIndex, index === leaf.entries.length - 1);
  }

  /**
   * Splits an overfull leaf in half, except that an append to the last leaf moves only the new
   * entry: a sequential load then leaves full leaves behind instead of half-empty ones.
   */
  private split(leafIndex: number, appended: boolean): void {
    const leaf = this.leaves[leafIndex] as Leaf;
    const length = leaf.entries.length;
    const at = appended && leaf.next === null ? length - 1 : length >>> 1;
    const right = leaf.splitAt(at);
    this.leaves.splice(leafIndex + 1, 0, right);
    this.firsts.splice(leafIndex, 0, right.entries[0] as MemtableEntry);
    if (this.firsts.length > this.firstPrefixes.length) this.growFirstPrefixes();
    this.firstPrefixes.copyWithin(leafIndex + 1, leafIndex, this.firsts.length - 1);
    this.firstPrefixes[leafIndex] = right.prefixes[0] as number;
  }

  /** Shortens the head to what it shares with `key` (taking every prefix again), or sets it. */
  private fitHead(key: Uint8Array): void {
    const head = this.head;
    if (head === undefined) {
      this.head = key.subarray(0, Math.min(key.length, HEAD_BYTES_MAX));
      return;
    }
    const shared = commonPrefixLength(head, key);
    if (shared === head.length) return;
    this.head = head.subarray(0, shared);
    for (const leaf of this.leaves) {
      leaf.entries.forEach((entry, i) => {
        leaf.prefixes[i] = keyPrefix(entry.key, shared);
      });
    }
    this.firsts.forEach((entry, i) => {
      this.firstPrefixes[i] = keyPrefix(entry.key, shared);
    });
  }

  private growFirstPrefixes(): void {
    const grown = new Float64Array(this.firstPrefixes.length * 2);
    grown.set(this.firstPrefixes);
    this.firstPrefixes = grown;
  }
}

function isSameEntry(found: MemtableEntry | undefined, entry: MemtableEntry): boolean {
  return found !== undefined && found.seq === entry.seq && compareBytes(found.key, entry.key) === 0;
}
