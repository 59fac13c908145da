import { compareToTarget } from './internal-order.js';
import type { MemtableEntry } from './memtable-entry.js';

/**
 * A sorted run of entries, one leaf of the two-level tree in `SortedLeaves`. Leaves form a
 * doubly linked list in internal order, so iterators step across leaves without going back
 * to the directory.
 *
 * `prefixes[i]` is what `SortedLeaves.prefixOf` gives `entries[i].key`. It has room for one
 * entry more than the leaf may keep, so an insert that overfills the leaf needs no
 * reallocation before the split.
 */
export class Leaf {
  readonly entries: MemtableEntry[] = [];
  readonly prefixes: Float64Array;
  next: Leaf | null = null;
  prev: Leaf | null = null;

  constructor(capacity: number) {
    this.prefixes = new Float64Array(capacity);
  }

  /**
   * How many entries sort before the target (key, seq), or also equal to it when `orEqual`.
   * With `orEqual` false this is the index of the first entry >= target; with true, of the
   * first entry > target.
   */
  rank(key: Uint8Array, prefix: number, seq: number, orEqual: boolean): number {
    const entries = this.entries;
    const prefixes = this.prefixes;
    let low = 0;
    let high = entries.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midPrefix = prefixes[mid] as number;
      const order =
        midPrefix !== prefix ? midPrefix - prefix : compareToTarget(entries[mid] as MemtableEntry, key, seq);
      if (order < 0 || (orEqual && order === 0)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Inserts at `index`. Requires: the result stays sorted and fits `prefixes`. */
  insert(index: number, entry: MemtableEntry, prefix: number): void {
    const entries = this.entries;
    if (index === entries.length) entries.push(entry);
    else entries.splice(index, 0, entry);
    this.prefixes.copyWithin(index + 1, index, entries.length - 1);
    this.prefixes[index] = prefix;
  }

  /**
   * Moves entries from `index` on into a new leaf linked right after this one, and returns it.
   * This leaf keeps its first entry, which the directory relies on.
   */
  splitAt(index: number): Leaf {
    const length = this.entries.length;
    const right = new Leaf(this.prefixes.length);
    for (let i = index; i < length; i++) right.entries.push(this.entries[i] as MemtableEntry);
    right.prefixes.set(this.prefixes.subarray(index, length));
    this.entries.length = index;
    right.next = this.next;
    right.prev = this;
    if (this.next !== null) this.next.prev = right;
    this.next = right;
    return right;
  }
}
