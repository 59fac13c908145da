/**
 * Answers "which range tombstones cover this key" in O(log n). The tombstones' start and end
 * keys cut the key space into fragments; each fragment lists the sequence numbers of the
 * tombstones covering all of it, descending. Built once per set of tombstones (a memtable's,
 * a version's, an iterator's), then only read.
 *
 * Overlapping tombstones make a fragment list every one of them, so n nested tombstones cost
 * O(n²) memory: range deletions are meant for bulk removal (`clear`, a prefix), not as a
 * replacement for point deletes.
 */
import type { SeqNum } from './brands.js';
import { compareBytes } from './compare-bytes.js';
import { tombstoneIsEmpty } from './range-tombstone.js';
import type { RangeTombstone } from './range-tombstone.js';

interface Fragment {
  /** Inclusive. */
  start: Uint8Array;
  /** Exclusive; undefined = unbounded. */
  end: Uint8Array | undefined;
  /** Descending. */
  seqs: SeqNum[];
}

export class RangeTombstoneIndex {
  static readonly EMPTY: RangeTombstoneIndex = new RangeTombstoneIndex([]);
  readonly size: number;
  private readonly fragments: readonly Fragment[];

  constructor(tombstones: readonly RangeTombstone[]) {
    this.size = tombstones.length;
    this.fragments = fragment(tombstones);
  }

  /** The largest sequence number at or below `readSeq` of a tombstone covering `key`; 0 if none. */
  coveringSeq(key: Uint8Array, readSeq: number): number {
    const found = this.fragmentOf(key);
    if (found === undefined) return 0;
    for (const seq of found.seqs) if (seq <= readSeq) return seq;
    return 0;
  }

  /** The smallest sequence number above `seq` of a tombstone covering `key`; 0 if none. */
  nextCoveringAbove(key: Uint8Array, seq: number): number {
    const found = this.fragmentOf(key);
    if (found === undefined) return 0;
    let next = 0;
    for (const candidate of found.seqs) {
      if (candidate <= seq) break;
      next = candidate;
    }
    return next;
  }

  private fragmentOf(key: Uint8Array): Fragment | undefined {
    const fragments = this.fragments;
    let low = 0;
    let high = fragments.length;
    // The last fragment whose start is <= key.
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (compareBytes((fragments[middle] as Fragment).start, key) <= 0) low = middle + 1;
      else high = middle;
    }
    const found = fragments[low - 1];
    if (found === undefined) return undefined;
    return found.end === undefined || compareBytes(key, found.end) < 0 ? found : undefined;
  }
}

/**
 * Cuts the tombstones into non-overlapping fragments, leaving out the gaps: a sweep over the
 * sorted start and end keys that keeps the set of tombstones open at each point.
 */
function fragment(all: readonly RangeTombstone[]): Fragment[] {
  const tombstones = all.filter((t) => !tombstoneIsEmpty(t));
  if (tombstones.length === 0) return [];
  const byStart = [...tombstones].sort((a, b) => compareBytes(a.start, b.start));
  const points = distinctSorted(tombstones.flatMap((t) => (t.end === undefined ? [t.start] : [t.start, t.end])));
  const fragments: Fragment[] = [];
  let open: RangeTombstone[] = [];
  let next = 0;
  for (let i = 0; i < points.length; i++) {
    const start = points[i] as Uint8Array;
    open = open.filter((t) => t.end === undefined || compareBytes(t.end, start) > 0);
    while (next < byStart.length && compareBytes((byStart[next] as RangeTombstone).start, start) === 0) open.push(byStart[next++] as RangeTombstone);
    if (open.length === 0) continue;
    fragments.push({ start, end: points[i + 1], seqs: open.map((t) => t.seq).sort((a, b) => b - a) });
  }
  return fragments;
}

function distinctSorted(keys: Uint8Array[]): Uint8Array[] {
  keys.sort(compareBytes);
  return keys.filter((key, i) => i === 0 || compareBytes(key, keys[i - 1] as Uint8Array) !== 0);
}
