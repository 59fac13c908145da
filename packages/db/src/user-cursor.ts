/**
 * Turns an internal iterator (every version of every key) into the user's view at one
 * sequence number: for each user key, its newest version at or below `snapshotSeq`, with
 * deleted keys left out, inside a key range, in either direction.
 */
import { EntryKind, compareBytes } from '@kv/base';
import type { InternalIterator, SeqNum } from '@kv/base';
import type { KeyRange } from './key-range.js';

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
   * Backward: versions of a key arrive oldest first, so the cursor walks all of a key's
   * versions and keeps the last one at or below the snapshot (the newest visible), then
   * decides the key. Fields are captured as they pass: a source may reuse its entry object.
   */
  private stepBackward(): UserEntry | undefined {
    const source = this.source;
    while (source.valid) {
      const key = source.entry.key;
      if (!this.range.aboveLower(key)) return undefined;
      let kind: number | undefined;
      let value: Uint8Array | undefined;
      for (; source.valid && compareBytes(source.entry.key, key) === 0; source.prev()) {
        const entry = source.entry;
        if (entry.seq > this.snapshotSeq) continue;
        kind = entry.kind;
        value = entry.value;
      }
      if (kind === EntryKind.Put && value !== undefined && this.range.belowUpper(key)) return { key, value };
    }
    return undefined;
  }
}
