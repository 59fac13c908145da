/**
 * Merges several internal iterators (memtables, page files) into one in internal order, in
 * both directions. An internal key (user key, seq) is unique across all sources, because a
 * sequence number is used once, so no source ever ties with another.
 *
 * Sources are few (the active memtable, a bounded number of immutable memtables and level-0
 * files, one file per deeper level), so the smallest or largest is found by a linear scan,
 * which beats a heap at this size and needs no rebalancing when a source is re-seeked.
 */
import { assert, compareInternal } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';

type Direction = 'forward' | 'backward';

export class MergingIterator implements InternalIterator {
  private readonly sources: readonly InternalIterator[];
  private current: InternalIterator | undefined;
  private direction: Direction = 'forward';

  constructor(sources: readonly InternalIterator[]) {
    this.sources = sources;
  }

  get valid(): boolean {
    return this.current !== undefined;
  }

  get entry(): InternalEntry {
    assert(this.current !== undefined, 'entry of an invalid merging iterator');
    return this.current.entry;
  }

  seekToFirst(): void {
    for (const source of this.sources) source.seekToFirst();
    this.pickSmallest();
  }

  seekToLast(): void {
    for (const source of this.sources) source.seekToLast();
    this.pickLargest();
  }

  seek(key: Uint8Array, seq?: SeqNum): void {
    for (const source of this.sources) source.seek(key, seq);
    this.pickSmallest();
  }

  seekForPrev(key: Uint8Array, seq?: SeqNum): void {
    for (const source of this.sources) source.seekForPrev(key, seq);
    this.pickLargest();
  }

  next(): void {
    const current = this.current;
    assert(current !== undefined, 'next on an invalid merging iterator');
    if (this.direction === 'backward') this.turnForward(current);
    current.next();
    this.pickSmallest();
  }

  prev(): void {
    const current = this.current;
    assert(current !== undefined, 'prev on an invalid merging iterator');
    if (this.direction === 'forward') this.turnBackward(current);
    current.prev();
    this.pickLargest();
  }

  releaseViews(): void {
    for (const source of this.sources) source.releaseViews?.();
  }

  release(): void {
    for (const source of this.sources) source.release?.();
    this.current = undefined;
  }

  /** Places every other source on its first entry after the current one. */
  private turnForward(current: InternalIterator): void {
    const { key, seq } = current.entry;
    for (const source of this.sources) if (source !== current) source.seek(key, seq);
  }

  /** Places every other source on its last entry before the current one. */
  private turnBackward(current: InternalIterator): void {
    const { key, seq } = current.entry;
    for (const source of this.sources) if (source !== current) source.seekForPrev(key, seq);
  }

  private pickSmallest(): void {
    this.direction = 'forward';
    let best: InternalIterator | undefined;
    for (const source of this.sources) {
      if (source.valid && (best === undefined || compareEntries(source.entry, best.entry) < 0)) best = source;
    }
    this.current = best;
  }

  private pickLargest(): void {
    this.direction = 'backward';
    let best: InternalIterator | undefined;
    for (const source of this.sources) {
      if (source.valid && (best === undefined || compareEntries(source.entry, best.entry) > 0)) best = source;
    }
    this.current = best;
  }
}

function compareEntries(a: InternalEntry, b: InternalEntry): number {
  return compareInternal(a.key, a.seq, b.key, b.seq);
}
