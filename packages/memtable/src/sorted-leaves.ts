import { assert, commonPrefixLengthAt, invariantsEnabled, keyPrefix, keyPrefixAt } from '@kv/base';
import type { EntryPacker } from '@kv/base';
import { compareToTarget } from './internal-order.js';
import { Leaf } from './leaf.js';

/**
 * A two-level B+tree over the entries of an `EntryPacker` (the entry store), by their ids: a
 * directory of leaves, each a sorted array of up to `leafEntryCountMax` ids. The directory
 * holds the first entry of every leaf after the first, with its key prefix in a Float64Array,
 * and finds a leaf by binary search; the leaf then finds the entry. Keys are compared where
 * they lie in the store's buffers: the tree holds numbers only, no object per entry.
 *
 * Why two levels are enough: a memtable holds at most a few million entries, so with leaves of
 * 128 the directory has tens of thousands of slots, and the shift that adds a slot on a split
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
  readonly store: EntryPacker;
  readonly leaves: Leaf[];
  private readonly leafEntryCountMax: number;
  /** `firsts[i]` is the first entry id of `leaves[i + 1]`; `firstPrefixes[i]` is its key prefix. */
  private firsts: Int32Array = new Int32Array(64);
  private firstPrefixes: Float64Array = new Float64Array(64);
  /** What every key in the table starts with; undefined while the table is empty. */
  private head: Uint8Array | undefined = undefined;

  constructor(store: EntryPacker, leafEntryCountMax: number) {
    assert(leafEntryCountMax >= 2, 'a leaf must hold at least two entries to split');
    this.store = store;
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
    return this.prefixAt(key, 0, key.length);
  }

  /**
   * `prefixOf` for the key that is `length` bytes of `bytes` from `start`. The searches below
   * take their key that way too (a whole key is `key, 0, key.length`), so an insert from a batch
   * payload makes no view of its key.
   */
  prefixAt(bytes: Uint8Array, start: number, length: number): number {
    const head = this.head;
    if (head === undefined) return keyPrefixAt(bytes, start, length);
    for (let j = 0; j < head.length; j++) {
      if (j === length) return -Infinity;
      const diff = (bytes[start + j] as number) - (head[j] as number);
      if (diff !== 0) return diff < 0 ? -Infinity : Infinity;
    }
    return keyPrefixAt(bytes, start, length, head.length);
  }

  /** Index of the last leaf whose first entry is <= the target, or 0 when there is none. */
  findLeafIndex(bytes: Uint8Array, start: number, length: number, prefix: number, seq: number): number {
    const store = this.store;
    const firsts = this.firsts;
    const prefixes = this.firstPrefixes;
    let low = 0;
    let high = this.leaves.length - 1;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midPrefix = prefixes[mid] as number;
      const order = midPrefix !== prefix ? midPrefix - prefix : compareToTarget(store, firsts[mid] as number, bytes, start, length, seq);
      if (order <= 0) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** The id of the first entry >= (key, seq) in internal order, or -1. */
  ceiling(key: Uint8Array, prefix: number, seq: number): number {
    const length = key.length;
    const leaf = this.leaves[this.findLeafIndex(key, 0, length, prefix, seq)] as Leaf;
    const index = leaf.rank(this.store, key, 0, length, prefix, seq, false);
    // Past the end of its leaf, the answer is the next leaf's first entry: that one is > target,
    // or the directory would have chosen its leaf.
    if (index < leaf.count) return leaf.ids[index] as number;
    return leaf.next === null ? -1 : (leaf.next.ids[0] as number);
  }

  /**
   * Adds entry `id` of the store. `length` bytes of `bytes` from `start` hold the same bytes as
   * its key (read during the call only). Requires: no entry with the same (key, seq) is present.
   */
  insert(id: number, bytes: Uint8Array, start: number, length: number): void {
    const store = this.store;
    const seq = store.seqAt(id);
    this.fitHead(bytes, start, length);
    const prefix = this.prefixAt(bytes, start, length);
    let leafIndex = this.leaves.length - 1;
    let leaf = this.lastLeaf;
    let index = leaf.count;
    // Sequential loads append: one comparison with the last entry skips both searches. The
    // prefixes decide it without reading the last key's bytes unless they tie.
    const lastPrefix = leaf.prefixes[index - 1] as number;
    if (index === 0 || prefix < lastPrefix || (prefix === lastPrefix && compareToTarget(store, leaf.ids[index - 1] as number, bytes, start, length, seq) >= 0)) {
      leafIndex = this.findLeafIndex(bytes, start, length, prefix, seq);
      leaf = this.leaves[leafIndex] as Leaf;
      index = leaf.rank(store, bytes, start, length, prefix, seq, false);
      // A repeated (key, seq) is the caller's bug (the engine uses a seq once): checked only
      // with invariants on, as the check reads a key per insert.
      if (invariantsEnabled()) assert(!this.isEntryAt(leaf, index, bytes, start, length, seq), '(key, seq) added twice');
    }
    leaf.insert(index, id, prefix);
    if (leaf.count > this.leafEntryCountMax) this.split(leafIndex, index === leaf.count - 1);
  }

  /** The ids of all `count` entries (the table's entry count), in internal order. */
  ids(count: number): Int32Array {
    const ids = new Int32Array(count);
    let at = 0;
    for (let leaf: Leaf | null = this.firstLeaf; leaf !== null; leaf = leaf.next) {
      assert(at + leaf.count <= count, 'the tree holds more entries than counted');
      ids.set(leaf.ids.subarray(0, leaf.count), at);
      at += leaf.count;
    }
    assert(at === count, 'the tree holds fewer entries than counted');
    return ids;
  }

  /**
   * Splits an overfull leaf in half, except that an append to the last leaf moves only the new
   * entry: a sequential load then leaves full leaves behind instead of half-empty ones.
   */
  private split(leafIndex: number, appended: boolean): void {
    const leaf = this.leaves[leafIndex] as Leaf;
    const at = appended && leaf.next === null ? leaf.count - 1 : leaf.count >>> 1;
    const right = leaf.splitAt(at);
    this.leaves.splice(leafIndex + 1, 0, right);
    const firstCount = this.leaves.length - 1;
    if (firstCount > this.firsts.length) this.growDirectory();
    this.firsts.copyWithin(leafIndex + 1, leafIndex, firstCount - 1);
    this.firstPrefixes.copyWithin(leafIndex + 1, leafIndex, firstCount - 1);
    this.firsts[leafIndex] = right.ids[0] as number;
    this.firstPrefixes[leafIndex] = right.prefixes[0] as number;
  }

  /**
   * Shortens the head to what it shares with the key (`length` bytes of `bytes` from `start`),
   * taking every prefix again, or sets it.
   */
  private fitHead(bytes: Uint8Array, start: number, length: number): void {
    const head = this.head;
    if (head === undefined) {
      // A copy (`new Uint8Array(view)`, not `slice()`, which on a Node Buffer is a view): the
      // caller may reuse its key.
      this.head = new Uint8Array(bytes.subarray(start, start + Math.min(length, HEAD_BYTES_MAX)));
      return;
    }
    const shared = commonPrefixLengthAt(head, bytes, start, length);
    if (shared === head.length) return;
    this.head = head.subarray(0, shared);
    const store = this.store;
    for (const leaf of this.leaves) {
      for (let i = 0; i < leaf.count; i++) leaf.prefixes[i] = keyPrefix(store.keyAt(leaf.ids[i] as number), shared);
    }
    for (let i = 0; i < this.leaves.length - 1; i++) this.firstPrefixes[i] = keyPrefix(store.keyAt(this.firsts[i] as number), shared);
  }

  private growDirectory(): void {
    const firsts = new Int32Array(this.firsts.length * 2);
    firsts.set(this.firsts);
    this.firsts = firsts;
    const prefixes = new Float64Array(this.firstPrefixes.length * 2);
    prefixes.set(this.firstPrefixes);
    this.firstPrefixes = prefixes;
  }

  private isEntryAt(leaf: Leaf, index: number, bytes: Uint8Array, start: number, length: number, seq: number): boolean {
    const id = leaf.idAt(index);
    return id >= 0 && this.store.seqAt(id) === seq && this.store.compareKeyRange(id, bytes, start, length) === 0;
  }
}
