/**
 * Iterates the files of one level >= 1 as one sorted run: they are sorted by key and never
 * overlap, so the run is their concatenation. One source per level keeps the merge's fan-in
 * at (level-0 files + levels) instead of the total file count. A part's iterator is made the
 * first time the run reaches that part, so a seek followed by a few steps makes one or two,
 * not one per file of the level.
 */
import { assert, compareBytes, invariantsEnabled } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';

export interface ConcatenatedPart {
  smallestKey: Uint8Array;
  largestKey: Uint8Array;
  /** Makes the part's iterator (called at most once per concatenating iterator). */
  open(): InternalIterator;
}

export class ConcatenatingIterator implements InternalIterator {
  private readonly parts: readonly ConcatenatedPart[];
  /** `opened[i]`: part i's iterator, once made. */
  private readonly opened: (InternalIterator | undefined)[];
  /**
   * Parts positioned since the last `releaseViews` (the current one stays): the ones that may
   * hold pages, `touched[0 .. touchedCount)`.
   */
  private readonly touched: (InternalIterator | undefined)[] = [];
  private touchedCount = 0;
  private index = 0;

  /**
   * Requires: `parts` sorted by key, ranges not overlapping. Checked only with invariants on:
   * the engine makes one of these per level for every iterator, and the check reads every
   * part's keys.
   */
  constructor(parts: readonly ConcatenatedPart[]) {
    for (let i = 1; invariantsEnabled() && i < parts.length; i++) {
      const left = parts[i - 1];
      const right = parts[i];
      assert(left !== undefined && right !== undefined && compareBytes(left.largestKey, right.smallestKey) < 0, 'concatenated parts are sorted and disjoint');
    }
    this.parts = parts;
    this.opened = new Array<InternalIterator | undefined>(parts.length);
    this.index = parts.length;
  }

  get valid(): boolean {
    return this.opened[this.index]?.valid === true;
  }

  get entry(): InternalEntry {
    const current = this.opened[this.index];
    assert(current !== undefined && current.valid, 'entry of an invalid concatenating iterator');
    return current.entry;
  }

  seekToFirst(): void {
    this.index = 0;
    this.partAt(0)?.seekToFirst();
    this.skipForward();
  }

  seekToLast(): void {
    this.index = this.parts.length - 1;
    this.partAt(this.index)?.seekToLast();
    this.skipBackward();
  }

  seek(key: Uint8Array, seq?: SeqNum): void {
    // The first part whose largest key is at or after `key` holds the first entry >= (key, seq).
    this.index = this.firstIndexWhere((part) => compareBytes(part.largestKey, key) >= 0);
    this.partAt(this.index)?.seek(key, seq);
    this.skipForward();
  }

  seekForPrev(key: Uint8Array, seq?: SeqNum): void {
    this.index = this.firstIndexWhere((part) => compareBytes(part.smallestKey, key) > 0) - 1;
    this.partAt(this.index)?.seekForPrev(key, seq);
    this.skipBackward();
  }

  next(): void {
    const current = this.opened[this.index];
    assert(current !== undefined && current.valid, 'next on an invalid concatenating iterator');
    current.next();
    this.skipForward();
  }

  prev(): void {
    const current = this.opened[this.index];
    assert(current !== undefined && current.valid, 'prev on an invalid concatenating iterator');
    current.prev();
    this.skipBackward();
  }

  releaseViews(): void {
    const touched = this.touched;
    const count = this.touchedCount;
    const current = this.opened[this.index];
    // A part other than the current one was positioned and then left (the run moved on, or a
    // seek went elsewhere): it is positioned again before any further use, so it can let go of
    // its current page too.
    for (let i = 0; i < count; i++) {
      const part = touched[i];
      if (part === current) part?.releaseViews?.();
      else part?.release?.();
    }
    // Usually only the current part was touched: then the list stays as it is.
    if (count === 1 && touched[0] === current) return;
    this.forgetTouched();
    if (current !== undefined) this.touch(current);
  }

  release(): void {
    for (let i = 0; i < this.touchedCount; i++) this.touched[i]?.release?.();
    this.forgetTouched();
    this.index = this.parts.length;
  }

  /** Part i's iterator, made on first use, about to be positioned; undefined outside the parts. */
  private partAt(i: number): InternalIterator | undefined {
    if (i < 0 || i >= this.parts.length) return undefined;
    let iterator = this.opened[i];
    if (iterator === undefined) {
      iterator = (this.parts[i] as ConcatenatedPart).open();
      this.opened[i] = iterator;
    }
    this.touch(iterator);
    return iterator;
  }

  private touch(part: InternalIterator): void {
    for (let i = 0; i < this.touchedCount; i++) if (this.touched[i] === part) return;
    this.touched[this.touchedCount++] = part;
  }

  private forgetTouched(): void {
    for (let i = 0; i < this.touchedCount; i++) this.touched[i] = undefined;
    this.touchedCount = 0;
  }

  /** Moves past exhausted parts (an empty file, or the end of one) to the next part's first entry. */
  private skipForward(): void {
    while (this.index >= 0 && this.index < this.parts.length && this.opened[this.index]?.valid !== true) {
      this.index++;
      this.partAt(this.index)?.seekToFirst();
    }
  }

  private skipBackward(): void {
    while (this.index >= 0 && this.index < this.parts.length && this.opened[this.index]?.valid !== true) {
      this.index--;
      this.partAt(this.index)?.seekToLast();
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
