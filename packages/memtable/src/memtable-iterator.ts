import { assert, toSeqNum } from '@kv/base';
import type { InternalIterator, SeqNum } from '@kv/base';
import type { Leaf } from './leaf.js';
import type { MemtableEntry } from './memtable-entry.js';
import type { SortedLeaves } from './sorted-leaves.js';

/**
 * A LevelDB-style internal iterator (`InternalIterator` from @kv/base) over a memtable's
 * entries in internal order (user key ascending, then seq descending).
 *
 * It stays usable while entries are added: after any number of `add` calls, `next` and `prev`
 * continue from the current entry in internal order, skipping and repeating nothing that was
 * there before. Entries added meanwhile may or may not be seen; the engine filters by seq.
 */
export type MemtableIterator = InternalIterator;

/** Sorts before every real entry of the same key: seqs are safe integers. */
const SEQ_NEWEST: SeqNum = toSeqNum(Number.MAX_SAFE_INTEGER);
const SEQ_OLDEST: SeqNum = toSeqNum(0);

/**
 * Remembers its position as (leaf, index, entry). An add can shift the entry within its leaf or
 * move it to a new leaf by a split; both are detected in O(1) because `leaf.entries[index]` is
 * then no longer `entry`, and the iterator finds the entry again by its (key, seq), which is
 * unique. Otherwise the position is still exact and the linked leaves lead on in order.
 */
export class LeafIterator implements MemtableIterator {
  private readonly tree: SortedLeaves;
  private leaf: Leaf | null = null;
  private index = 0;
  private current: MemtableEntry | undefined = undefined;

  constructor(tree: SortedLeaves) {
    this.tree = tree;
  }

  get valid(): boolean {
    return this.current !== undefined;
  }

  get entry(): MemtableEntry {
    assert(this.current !== undefined, 'entry read from an invalid iterator');
    return this.current;
  }

  seekToFirst(): void {
    this.moveTo(this.tree.firstLeaf, 0);
  }

  seekToLast(): void {
    const leaf = this.tree.lastLeaf;
    this.moveTo(leaf, leaf.entries.length - 1);
  }

  seek(key: Uint8Array, seq: SeqNum = SEQ_NEWEST): void {
    const prefix = this.tree.prefixOf(key);
    const leaf = this.tree.leaves[this.tree.findLeafIndex(key, prefix, seq)] as Leaf;
    const index = leaf.rank(key, prefix, seq, false);
    // Past the end of the leaf, the next leaf's first entry is the answer (see SortedLeaves).
    if (index < leaf.entries.length) this.moveTo(leaf, index);
    else this.moveTo(leaf.next, 0);
  }

  seekForPrev(key: Uint8Array, seq: SeqNum = SEQ_OLDEST): void {
    const prefix = this.tree.prefixOf(key);
    const leaf = this.tree.leaves[this.tree.findLeafIndex(key, prefix, seq)] as Leaf;
    // Only the first leaf can start after the target; then there is no entry <= target.
    this.moveTo(leaf, leaf.rank(key, prefix, seq, true) - 1);
  }

  next(): void {
    const leaf = this.resync();
    if (this.index + 1 < leaf.entries.length) this.moveTo(leaf, this.index + 1);
    else this.moveTo(leaf.next, 0);
  }

  prev(): void {
    const leaf = this.resync();
    if (this.index > 0) this.moveTo(leaf, this.index - 1);
    else this.moveTo(leaf.prev, (leaf.prev?.entries.length ?? 0) - 1);
  }

  /** Points at `leaf.entries[index]`, or invalidates when there is no such entry. */
  private moveTo(leaf: Leaf | null, index: number): void {
    const entry = leaf !== null && index >= 0 ? leaf.entries[index] : undefined;
    if (leaf === null || entry === undefined) {
      this.leaf = null;
      this.current = undefined;
      return;
    }
    this.leaf = leaf;
    this.index = index;
    this.current = entry;
  }

  /** Makes (leaf, index) point at the current entry again after adds, and returns the leaf. */
  private resync(): Leaf {
    const entry = this.current;
    const leaf = this.leaf;
    assert(entry !== undefined, 'step from an invalid iterator');
    assert(leaf !== null, 'a valid iterator has a leaf');
    if (leaf.entries[this.index] === entry) return leaf;
    this.seek(entry.key, entry.seq);
    assert(this.current === entry, 'an entry is found again by its (key, seq)');
    assert(this.leaf !== null, 'a found entry has a leaf');
    return this.leaf;
  }
}
