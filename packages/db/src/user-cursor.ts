/**
 * Turns an internal iterator (every version of every key) into the user's view at one
 * sequence number: for each user key, its newest version at or below `snapshotSeq`, with
 * deleted keys left out, inside a key range, in either direction.
 */
import { EntryKind, compareBytes, toSeqNum } from '@kv/base';
import type { InternalIterator, SeqNum } from '@kv/base';
import type { KeyRange } from './key-range.js';

const SEQ_MAX = toSeqNum(Number.MAX_SAFE_INTEGER);

export interface UserEntry {
  key: Uint8Array;
  value: Uint8Array;
}

export class UserCursor {
  private readonly source: InternalIterator;
  private readonly snapshotSeq: SeqNum;
  private readonly range: KeyRange;
  private readonly reverse: boolean;
  private started = false;

  constructor(options: { source: InternalIterator; snapshotSeq: SeqNum; range: KeyRange; reverse: boolean }) {
    this.source = options.source;
    this.snapshotSeq = options.snapshotSeq;
    this.range = options.range;
    this.reverse = options.reverse;
  }

  /** The next user entry in iteration order (views: copy before keeping), or undefined at the end. */
  next(): UserEntry | undefined {
    if (!this.started) {
      this.started = true;
      this.positionAtStart();
    }
    return this.reverse ? this.stepBackward() : this.stepForward();
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
      const decided = entry.kind === EntryKind.Put && this.range.aboveLower(key) ? { key, value: entry.value } : undefined;
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
   * Backward: versions of a key arrive oldest first, so for each key the cursor seeks to its
   * newest visible version, then jumps to the last entry of the previous key.
   */
  private stepBackward(): UserEntry | undefined {
    const source = this.source;
    while (source.valid) {
      const key = source.entry.key;
      if (!this.range.aboveLower(key)) return undefined;
      source.seek(key, this.snapshotSeq);
      const visible = source.valid && compareBytes(source.entry.key, key) === 0 ? source.entry : undefined;
      const decided =
        visible !== undefined && visible.kind === EntryKind.Put && this.range.belowUpper(key)
          ? { key, value: visible.value }
          : undefined;
      source.seekForPrev(key, SEQ_MAX);
      if (decided !== undefined) return decided;
    }
    return undefined;
  }
}
