import { assert } from '@kv/base';
import type { PackedEntries } from '@kv/base';
import type { Leaf } from './leaf.js';
import type { SortedLeaves } from './sorted-leaves.js';

/**
 * Copies a memtable's entries, in internal order, into a `PackedEntries` run that shares the
 * table's buffers (nothing of a key or value is copied): a few array stores per entry. It packs
 * a slice at a time, so a caller can hand its event loop back between slices. The table must
 * not change meanwhile (the engine packs frozen memtables).
 */
export class SortedRunPacker {
  private readonly tree: SortedLeaves;
  private readonly run: PackedEntries;
  private leaf: Leaf | null;
  private index = 0;
  private position = 0;

  constructor(tree: SortedLeaves, count: number) {
    this.tree = tree;
    this.run = tree.store.newRun(count);
    this.leaf = count === 0 ? null : tree.firstLeaf;
  }

  get done(): boolean {
    return this.leaf === null;
  }

  /** Packs up to `entries` more entries; returns `done`. */
  pack(entries: number): boolean {
    const store = this.tree.store;
    const run = this.run;
    let budget = entries;
    while (this.leaf !== null && budget > 0) {
      const leaf = this.leaf;
      const end = Math.min(leaf.count, this.index + budget);
      assert(this.position + end - this.index <= run.count, 'the memtable grew while it was packed');
      for (let i = this.index; i < end; i++) store.copyTo(leaf.ids[i] as number, run, this.position++);
      budget -= end - this.index;
      this.index = end;
      if (end === leaf.count) {
        this.leaf = leaf.next;
        this.index = 0;
      }
    }
    return this.done;
  }

  /** The packed run. Requires `done`. */
  finish(): PackedEntries {
    assert(this.done && this.position === this.run.count, 'a packed run is finished after its last entry');
    return this.run;
  }
}
