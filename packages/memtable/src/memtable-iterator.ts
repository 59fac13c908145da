import { assert, toSeqNum } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';
import type { Leaf } from './leaf.js';
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
 * Remembers its position as (leaf, index, entry id). An add can shift the entry within its leaf
 * or move it to a new leaf by a split; both are detected in O(1) because `leaf.ids[index]` is
 * then no longer the id, and the iterator finds the entry again by its (key, seq), which is
 * unique. Otherwise the position is still exact and the linked leaves lead on in order.
 *
 * The entry object (with views of the key and value) is made when `entry` is first read at a
 * position, so stepping over entries allocates nothing.
 */
export class LeafIterator implements MemtableIterator {
  private readonly tree: SortedLeaves;
  private leaf: Leaf | null = null;
  private index = 0;
  private id = -1;
  private current: InternalEntry | undefined = undefined;

  constructor(tree: SortedLeaves) {
    this.tree = tree;
  }

  get valid(): boolean {
    return this.id >= 0;
  }

  get entry(): InternalEntry {
    assert(this.id >= 0, 'entry read from an invalid iterator');
    this.current ??= this.tree.store.entryAt(this.id);
    return this.current;
  }

  seekToFirst(): void {
    this.moveTo(this.tree.firstLeaf, 0);
  }

  seekToLast(): void {
    const leaf = this.tree.lastLeaf;
    this.moveTo(leaf, leaf.count - 1);
  }

  seek(key: Uint8Array, seq: SeqNum = SEQ_NEWEST): void {
    const tree = this.tree;
    const prefix = tree.prefixOf(key);
    const leaf = tree.leaves[tree.findLeafIndex(key, 0, key.length, prefix, seq)] as Leaf;
    const index = leaf.rank(tree.store, key, 0, key.length, prefix, seq, false);
    // Past the end of the leaf, the next leaf's first entry is the answer (see SortedLeaves).
    if (index < leaf.count) this.moveTo(leaf, index);
    else this.moveTo(leaf.next, 0);
  }

  seekForPrev(key: Uint8Array, seq: SeqNum = SEQ_OLDEST): void {
    const tree = this.tree;
    const prefix = tree.prefixOf(key);
    const leaf = tree.leaves[tree.findLeafIndex(key, 0, key.length, prefix, seq)] as Leaf;
    // Only the first leaf can start after the target; then there is no entry <= target.
    this.moveTo(leaf, leaf.rank(tree.store, key, 0, key.length, prefix, seq, true) - 1);
  }

  next(): void {
    const leaf = this.resync();
    if (this.index + 1 < leaf.count) this.moveTo(leaf, this.index + 1);
    else this.moveTo(leaf.next, 0);
  }

  prev(): void {
    const leaf = this.resync();
    if (this.index > 0) this.moveTo(leaf, this.index - 1);
    else this.moveTo(leaf.prev, (leaf.prev?.count ?? 0) - 1);
  }

  /** Points at entry `index` of `leaf`, or invalidates when there is no such entry. */
  private moveTo(leaf: Leaf | null, index: number): void {
    this.current = undefined;
    const id = leaf === null ? -1 : leaf.idAt(index);
    this.id = id;
    this.leaf = id < 0 ? null : leaf;
    this.index = index;
  }

  /** Makes (leaf, index) point at the current entry again after adds, and returns the leaf. */
  private resync(): Leaf {
    const id = this.id;
    const leaf = this.leaf;
    assert(id >= 0, 'step from an invalid iterator');
    assert(leaf !== null, 'a valid iterator has a leaf');
    if (leaf.idAt(this.index) === id) return leaf;
    const current = this.current;
    const store = this.tree.store;
    this.seek(store.keyAt(id), store.seqAt(id));
    assert(this.id === id, 'an entry is found again by its (key, seq)');
    assert(this.leaf !== null, 'a found entry has a leaf');
    this.current = current;
    return this.leaf;
  }
}
