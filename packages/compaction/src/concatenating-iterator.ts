/**
 * Iterates the files of one level >= 1 as one sorted run: they are sorted by key and never
 * overlap, so the run is their concatenation. One source per level keeps the merge's fan-in
 * at (level-0 files + levels) instead of the total file count.
 */
import { assert, compareBytes } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';

export interface ConcatenatedPart {
  smallestKey: Uint8Array;
  largestKey: Uint8Array;
  iterator: InternalIterator;
}

export class ConcatenatingIterator implements InternalIterator {
  private readonly parts: readonly ConcatenatedPart[];
  private index = 0;

  /** Requires: `parts` sorted by key, ranges not overlapping. */
  constructor(parts: readonly ConcatenatedPart[]) {
    for (let i = 1; i < parts.length; i++) {
      const left = parts[i - 1];
      const right = parts[i];
      assert(left !== undefined && right !== undefined && compareBytes(left.largestKey, right.smallestKey) < 0, 'concatenated parts are sorted and disjoint');
    }
    this.parts = parts;
    this.index = parts.length;
  }

  get valid(): boolean {
    return this.parts[this.index]?.iterator.valid === true;
  }

  get entry(): InternalEntry {
    const part = this.parts[this.index];
    assert(part !== undefined && part.iterator.valid, 'entry of an invalid concatenating iterator');
    return part.iterator.entry;
  }

  seekToFirst(): void {
    this.index = 0;
    this.parts[0]?.iterator.seekToFirst();
    this.skipForward();
  }

  seekToLast(): void {
    this.index = this.parts.length - 1;
    this.parts[this.index]?.iterator.seekToLast();
    this.skipBackward();
  }

  seek(key: Uint8Array, seq?: SeqNum): void {
    // The first part whose largest key is at or after `key` holds the first entry >= (key, seq).
    this.index = this.firstIndexWhere((part) => compareBytes(part.largestKey, key) >= 0);
    this.parts[this.index]?.iterator.seek(key, seq);
    this.skipForward();
  }

  seekForPrev(key: Uint8Array, seq?: SeqNum): void {
    this.index = this.firstIndexWhere((part) => compareBytes(part.smallestKey, key) > 0) - 1;
    this.parts[this.index]?.iterator.seekForPrev(key, seq);
    this.skipBackward();
  }

  next(): void {
    const part = this.parts[this.index];
    assert(part !== undefined && part.iterator.valid, 'next on an invalid concatenating iterator');
    part.iterator.next();
    this.skipForward();
  }

  prev(): void {
    const part = this.parts[this.index];
    assert(part !== undefined && part.iterator.valid, 'prev on an invalid concatenating iterator');
    part.iterator.prev();
    this.skipBackward();
  }

  /** Moves past exhausted parts (an empty file, or the end of one) to the next part's first entry. */
  private skipForward(): void {
    while (this.index >= 0 && this.index < this.parts.length && this.parts[this.index]?.iterator.valid !== true) {
      this.index++;
      this.parts[this.index]?.iterator.seekToFirst();
    }
  }

  private skipBackward(): void {
    while (this.index >= 0 && this.index < this.parts.length && this.parts[this.index]?.iterator.valid !== true) {
      this.index--;
      this.parts[this.index]?.iterator.seekToLast();
    }
    if (this.index < 0) this.index = this.parts.length;
  }

  /** Binary search: the first index whose part satisfies `predicate` (monotone); length when none. */
  private firstIndexWhere(predicate: (part: ConcatenatedPart) => boolean): number {
    let low = 0;
    let high = this.parts.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      const part = this.parts[middle];
      if (part !== undefined && predicate(part)) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
