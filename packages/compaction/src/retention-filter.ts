/**
 * Decides, version by version, what a compaction keeps. Snapshots s1 < s2 < … < sk (the last
 * being the engine's current sequence number) cut each key's history into stripes
 * (−∞, s1], (s1, s2], …, (s(k−1), sk], plus (sk, ∞) for anything newer. A snapshot reads the
 * newest version at or below it, so only the newest version of each stripe is ever read; every
 * other version is dropped.
 *
 * A tombstone can go only in a bottommost compaction (no deeper level may hold an older
 * version it hides) and only when it is the newest version of the oldest stripe: every
 * snapshot that reads it then reads "absent", and with everything older dropped too, reading
 * nothing gives the same answer. A tombstone in a younger stripe still hides the version an
 * older snapshot keeps, so it stays.
 *
 * Two more things hide a version:
 * - a range tombstone in the same stripe with a higher sequence number: no snapshot reads
 *   the version (those above the tombstone see the tombstone; there is none between them), so
 *   it is dropped like a shadowed version;
 * - its own expiry: an expiring put past `nowMs` reads as deleted for every reader, so it is
 *   treated as a point tombstone ('keep-as-tombstone': write a delete in its place, or drop it
 *   with the rest of the key at the bottom).
 */
import { EntryKind, InvalidArgumentError, KeyCopy, RangeTombstoneIndex, readsAsDeleted } from '@kv/base';
import type { InternalEntry } from '@kv/base';

export type RetentionDecision = 'keep' | 'keep-as-tombstone' | 'drop-version' | 'drop-tombstone';

export interface RetentionExtras {
  /** Range tombstones that may hide versions of the input (default none). */
  rangeTombstones?: RangeTombstoneIndex;
  /** Wall-clock milliseconds: expiring puts at or past it are deleted (default: none expire). */
  nowMs?: number;
}

export class RetentionFilter {
  private readonly snapshots: readonly number[];
  private readonly bottommost: boolean;
  private readonly rangeTombstones: RangeTombstoneIndex;
  private readonly nowMs: number;
  /**
   * Range tombstones that hide a version this filter kept (for a snapshot below them): they
   * must stay. For each kept version the lowest tombstone above it is enough: it hides the
   * version from every reader the higher ones would.
   */
  readonly tombstonesHidingKept: Set<number> = new Set();
  private readonly currentKey = new KeyCopy();
  private previousStripe = -1;
  private droppingRest = false;

  /** Requires: `snapshots` ascending and distinct (INVALID_ARGUMENT otherwise). */
  constructor(snapshots: readonly number[], bottommost: boolean, extras: RetentionExtras = {}) {
    checkSnapshots(snapshots);
    this.snapshots = snapshots;
    this.bottommost = bottommost;
    this.rangeTombstones = extras.rangeTombstones ?? RangeTombstoneIndex.EMPTY;
    this.nowMs = extras.nowMs ?? -1;
  }

  /**
   * Requires: entries arrive in internal order (key ascending, seq descending). `entry.key`
   * may be a view that changes after the call; the filter copies the key it keeps.
   */
  decide(entry: InternalEntry): RetentionDecision {
    const startsKey = !this.currentKey.isSet || this.currentKey.compareWith(entry.key) !== 0;
    if (startsKey) this.currentKey.set(entry.key);
    return this.decideVersion(startsKey, entry);
  }

  /**
   * `decide` for a caller that compares keys itself (a table build over a packed run):
   * `startsKey` says whether `entry` is the first version of its user key. It reads
   * `entry.key` only when range tombstones were given, and `entry.value` only for an expiring
   * put, so their views can be made on demand. Call either this or `decide` on one filter.
   */
  decideVersion(startsKey: boolean, entry: InternalEntry): RetentionDecision {
    if (startsKey) {
      this.previousStripe = -1;
      this.droppingRest = false;
    }
    if (this.droppingRest) return 'drop-version';
    const stripe = this.stripeOf(entry.seq);
    if (stripe === this.previousStripe) return 'drop-version';
    this.previousStripe = stripe;
    if (this.rangeTombstones.size > 0) {
      const hiding = this.rangeTombstones.nextCoveringAbove(entry.key, entry.seq);
      if (hiding !== 0 && this.stripeOf(hiding) === stripe) return 'drop-version';
      if (hiding !== 0) this.tombstonesHidingKept.add(hiding);
    }
    if (!readsAsDeleted(entry, this.nowMs)) return 'keep';
    if (this.bottommost && stripe === 0) {
      this.droppingRest = true;
      return 'drop-tombstone';
    }
    return entry.kind === EntryKind.Delete ? 'keep' : 'keep-as-tombstone';
  }

  /** Index of the first snapshot at or above `seq` (binary search); k when above them all. */
  stripeOf(seq: number): number {
    let low = 0;
    let high = this.snapshots.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if ((this.snapshots[middle] ?? 0) >= seq) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}

function checkSnapshots(snapshots: readonly number[]): void {
  for (let i = 0; i < snapshots.length; i++) {
    const seq = snapshots[i];
    if (seq === undefined || !Number.isSafeInteger(seq) || seq < 0) throw new InvalidArgumentError('compaction snapshots', 'must be sequence numbers');
    const previous = snapshots[i - 1];
    if (previous !== undefined && previous >= seq) throw new InvalidArgumentError('compaction snapshots', 'must be ascending and distinct');
  }
}
