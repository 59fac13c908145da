import type { EntryPacker } from '@kv/base';
import { compareToTarget } from './internal-order.js';

/**
 * A sorted run of entries, one leaf of the two-level tree in `SortedLeaves`: `ids[0 .. count)`
 * are indices into the table's entry store, in internal order. Leaves form a doubly linked list
 * in internal order, so iterators step across leaves without going back to the directory.
 *
 * `prefixes[i]` is what `SortedLeaves.prefixOf` gives entry `ids[i]`'s key. Both arrays have
 * room for one entry more than the leaf may keep, so an insert that overfills the leaf needs no
 * reallocation before the split.
 */
export class Leaf {
  readonly ids: Int32Array;
  readonly prefixes: Float64Array;
  count = 0;
  next: Leaf | null = null;
  prev: Leaf | null = null;

  constructor(capacity: number) {
    this.ids = new Int32Array(capacity);
    this.prefixes = new Float64Array(capacity);
  }

  /** The entry id at `index`, or -1 outside `[0, count)`. */
  idAt(index: number): number {
    return index >= 0 && index < this.count ? (this.ids[index] as number) : -1;
  }

  /**
   * How many entries sort before the target (key, seq), or also equal to it when `orEqual`.
   * With `orEqual` false this is the index of the first entry >= target; with true, of the
   * first entry > target. The key is `length` bytes of `bytes` from `start`.
   */
  rank(store: EntryPacker, bytes: Uint8Array, start: number, length: number, prefix: number, seq: number, orEqual: boolean): number {
    const ids = this.ids;
    const prefixes = this.prefixes;
    let low = 0;
    let high = this.count;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const midPrefix = prefixes[mid] as number;
      const order = midPrefix !== prefix ? midPrefix - prefix : compareToTarget(store, ids[mid] as number, bytes, start, length, seq);
      if (order < 0 || (orEqual && order === 0)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Inserts at `index`. Requires: the result stays sorted and fits the arrays. */
  insert(index: number, id: number, prefix: number): void {
    const count = this.count;
    if (index < count) {
      this.ids.copyWithin(index + 1, index, count);
      this.prefixes.copyWithin(index + 1, index, count);
    }
    this.ids[index] = id;
    this.prefixes[index] = prefix;
    this.count = count + 1;
  }

  /**
   * Moves entries from `index` on into a new leaf linked right after this one, and returns it.
   * This leaf keeps its first entry, which the directory relies on.
   */
  splitAt(index: number): Leaf {
    const count = this.count;
    const right = new Leaf(this.ids.length);
    right.ids.set(this.ids.subarray(index, count));
    right.prefixes.set(this.prefixes.subarray(index, count));
    right.count = count - index;
    this.count = index;
    right.next = this.next;
    right.prev = this;
    if (this.next !== null) this.next.prev = right;
    this.next = right;
    return right;
  }
}
