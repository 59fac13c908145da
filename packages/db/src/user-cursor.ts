/**
 * Turns an internal iterator (every version of every key) into the user's view at one
 * sequence number: for each user key, its newest version at or below `snapshotSeq`, with
 * deleted keys left out, inside a key range, in either direction. A key's newest version is
 * deleted when it is a delete, an expiring put past its time (checked against the clock as
 * the cursor reaches it), or older than a range tombstone covering the key.
 */
import { EntryKind, RangeTombstoneIndex, compareBytes, expiryOf, userValueOf } from '@kv/base';
import type { InternalIterator, SeqNum } from '@kv/base';
import type { KeyRange } from './key-range.js';
import type { Clock } from './write-op.js';

export interface UserEntry {
  key: Uint8Array;
  value: Uint8Array;
  /** `InternalEntry.keyOwned` of the version the key came from: the key may be kept without a copy. */
  keyOwned: boolean;
}

export interface UserCursorOptions {
  source: InternalIterator;
  snapshotSeq: SeqNum;
  range: KeyRange;
  reverse: boolean;
  rangeTombstones: RangeTombstoneIndex;
  clock: Clock;
}

export class UserCursor {
  private readonly source: InternalIterator;
  private readonly snapshotSeq: SeqNum;
  private readonly range: KeyRange;
  private readonly reverse: boolean;
  private readonly rangeTombstones: RangeTombstoneIndex;
  private readonly clock: Clock;
  private started = false;
  /** Set by a seek outside the range. */
  private exhausted = false;
  /**
   * Forward only: an entry at or above the lower bound was seen since the last positioning,
   * so every later one is too (keys ascend) and the bound needs no more comparisons.
   */
  private pastLower = false;

  constructor(options: UserCursorOptions) {
    this.source = options.source;
    this.snapshotSeq = options.snapshotSeq;
    this.range = options.range;
    this.reverse = options.reverse;
    this.rangeTombstones = options.rangeTombstones;
    this.clock = options.clock;
  }

  /** The next user entry in iteration order (views: copy before keeping), or undefined at the end. */
  next(): UserEntry | undefined {
    if (this.exhausted) return undefined;
    if (!this.started) {
      this.started = true;
      this.positionAtStart();
    }
    return this.reverse ? this.stepBackward() : this.stepForward();
  }

  /** The caller copied the last entry it was given: pages the source moved off may be reused. */
  releaseViews(): void {
    this.source.releaseViews?.();
  }

  /** The caller is done with the cursor: every page it holds may be reused. */
  release(): void {
    this.source.release?.();
    this.exhausted = true;
  }

  /**
   * Moves to `target`: forward, the next entry is the first key >= target; in reverse, the
   * last key <= target. A target outside the range (on either side) ends the iteration until
   * the next seek, as abstract-level (and so classic-level) defines `seek`.
   */
  seek(target: Uint8Array): void {
    this.started = true;
    this.pastLower = false;
    this.exhausted = !(this.range.aboveLower(target) && this.range.belowUpper(target));
    if (this.exhausted) return;
    if (this.reverse) this.source.seekForPrev(target);
    else this.source.seek(target);
  }

  private positionAtStart(): void {
    const bound = this.reverse ? this.range.upper : this.range.lower;
    if (bound === undefined) {
      if (this.reverse) this.source.seekToLast();
      else this.source.seekToFirst();
    } else if (this.reverse) {
      this.source.seekForPrev(bound.key);
    } else {
      this.source.seek(bound.key);
    }
  }

  /** Whether the newest visible version (kind, seq, stored value) of `key` reads as present. */
  private isLive(key: Uint8Array, kind: EntryKind, seq: SeqNum, value: Uint8Array): boolean {
    if (kind === EntryKind.Delete) return false;
    if (kind === EntryKind.PutExpiring && expiryOf(value) <= this.clock()) return false;
    return this.rangeTombstones.size === 0 || this.rangeTombstones.coveringSeq(key, this.snapshotSeq) <= seq;
  }

  /**
   * Forward: versions of a key arrive newest first, so the first visible version of each key
   * decides it and the rest of that key's versions are skipped.
   */
  private stepForward(): UserEntry | undefined {
    const source = this.source;
    while (source.valid) {
      const entry = source.entry;
      if (entry.seq > this.snapshotSeq) {
        source.next();
        continue;
      }
      if (!this.range.belowUpper(entry.key)) return undefined;
      const key = entry.key;
      if (!this.pastLower) this.pastLower = this.range.aboveLower(key);
      const live = this.pastLower && this.isLive(key, entry.kind, entry.seq, entry.value);
      const decided = live ? { key, value: userValueOf(entry), keyOwned: entry.keyOwned === true } : undefined;
      this.skipVersionsOf(key);
      if (decided !== undefined) return decided;
    }
    return undefined;
  }

  private skipVersionsOf(key: Uint8Array): void {
    const source = this.source;
    source.next();
    while (source.valid && compareBytes(source.entry.key, key) === 0) source.next();
  }

  /**
   * Backward: versions of a key arrive oldest first, so the cursor walks all of a key's
   * versions and keeps the last one at or below the snapshot (the newest visible), then
   * decides the key. Fields are captured as they pass: a source may reuse its entry object.
   */
  private stepBackward(): UserEntry | undefined {
    const source = this.source;
    while (source.valid) {
      const key = source.entry.key;
      if (!this.range.aboveLower(key)) return undefined;
      let kind: EntryKind | undefined;
      let seq = 0 as SeqNum;
      let value: Uint8Array | undefined;
      const keyOwned = source.entry.keyOwned === true;
      for (; source.valid && compareBytes(source.entry.key, key) === 0; source.prev()) {
        const entry = source.entry;
        if (entry.seq > this.snapshotSeq) continue;
        kind = entry.kind;
        seq = entry.seq;
        value = entry.value;
      }
      if (kind !== undefined && value !== undefined && this.range.belowUpper(key) && this.isLive(key, kind, seq, value)) {
        return { key, value: userValueOf({ kind, value }), keyOwned };
      }
    }
    return undefined;
  }
}
