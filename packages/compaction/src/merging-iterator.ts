/**
 * Merges several internal iterators (memtables, page files) into one in internal order, in
 * both directions. An internal key (user key, seq) is unique across all sources, because a
 * sequence number is used once, so no source ever ties with another.
 *
 * Sources are few (the active memtable, a bounded number of immutable memtables and level-0
 * files, one file per deeper level), so the smallest or largest is found by a linear scan,
 * which beats a heap at this size and needs no rebalancing when a source is re-seeked.
 *
 * With `sharedKeyBytes` (a length every key of every source is known to share, such as the
 * common prefix of the smallest and largest key of a compaction's inputs), each source's
 * current key also has a number: its `keyPrefix` after those bytes, taken once when the
 * source moves. The scan then compares numbers and reads key bytes only when two tie. A key
 * that did not share those bytes would be merged out of order, which the consumer must check
 * (a compaction does, and reports it as damage).
 */
import { InvalidArgumentError, assert, compareInternal, keyPrefix } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';

type Direction = 'forward' | 'backward';

export interface MergingIteratorOptions {
  /**
   * Leading key bytes every key of every source shares (see the class comment), a
   * non-negative integer (INVALID_ARGUMENT otherwise); 0 takes the numbers from the first
   * byte. Default: no numbers, every pick compares keys.
   */
  sharedKeyBytes?: number;
}

export class MergingIterator implements InternalIterator {
  private readonly sources: readonly InternalIterator[];
  /** The index of the source whose entry is current; -1 while invalid. */
  private currentIndex = -1;
  private direction: Direction = 'forward';
  /** With numbers on: each valid source's current key prefix after `sharedKeyBytes`; else all 0. */
  private readonly prefixes: Float64Array;
  private readonly sharedKeyBytes: number | undefined;

  constructor(sources: readonly InternalIterator[], options: MergingIteratorOptions = {}) {
    this.sources = sources;
    this.prefixes = new Float64Array(sources.length);
    const shared = options.sharedKeyBytes;
    if (shared !== undefined && (!Number.isSafeInteger(shared) || shared < 0)) throw new InvalidArgumentError('merging iterator sharedKeyBytes', `${shared} is not a non-negative integer`);
    this.sharedKeyBytes = shared;
  }

  get valid(): boolean {
    return this.currentIndex >= 0;
  }

  get entry(): InternalEntry {
    const current = this.sources[this.currentIndex];
    assert(current !== undefined, 'entry of an invalid merging iterator');
    return current.entry;
  }

  seekToFirst(): void {
    for (const source of this.sources) source.seekToFirst();
    this.notePrefixes();
    this.pickSmallest();
  }

  seekToLast(): void {
    for (const source of this.sources) source.seekToLast();
    this.notePrefixes();
    this.pickLargest();
  }

  seek(key: Uint8Array, seq?: SeqNum): void {
    for (const source of this.sources) source.seek(key, seq);
    this.notePrefixes();
    this.pickSmallest();
  }

  seekForPrev(key: Uint8Array, seq?: SeqNum): void {
    for (const source of this.sources) source.seekForPrev(key, seq);
    this.notePrefixes();
    this.pickLargest();
  }

  next(): void {
    const current = this.sources[this.currentIndex];
    assert(current !== undefined, 'next on an invalid merging iterator');
    if (this.direction === 'backward') this.turnForward(current);
    current.next();
    this.notePrefix(this.currentIndex);
    this.pickSmallest();
  }

  prev(): void {
    const current = this.sources[this.currentIndex];
    assert(current !== undefined, 'prev on an invalid merging iterator');
    if (this.direction === 'forward') this.turnBackward(current);
    current.prev();
    this.notePrefix(this.currentIndex);
    this.pickLargest();
  }

  releaseViews(): void {
    for (const source of this.sources) source.releaseViews?.();
  }

  release(): void {
    for (const source of this.sources) source.release?.();
    this.currentIndex = -1;
  }

  /** Places every other source on its first entry after the current one. */
  private turnForward(current: InternalIterator): void {
    const { key, seq } = current.entry;
    for (const source of this.sources) if (source !== current) source.seek(key, seq);
    this.notePrefixes();
  }

  /** Places every other source on its last entry before the current one. */
  private turnBackward(current: InternalIterator): void {
    const { key, seq } = current.entry;
    for (const source of this.sources) if (source !== current) source.seekForPrev(key, seq);
    this.notePrefixes();
  }

  /** Takes source i's key prefix after it moved (numbers on, source valid). */
  private notePrefix(i: number): void {
    const shared = this.sharedKeyBytes;
    if (shared === undefined) return;
    const source = this.sources[i] as InternalIterator;
    if (source.valid) this.prefixes[i] = keyPrefix(source.entry.key, shared);
  }

  private notePrefixes(): void {
    for (let i = 0; i < this.sources.length; i++) this.notePrefix(i);
  }

  private pickSmallest(): void {
    this.direction = 'forward';
    this.pick(-1);
  }

  private pickLargest(): void {
    this.direction = 'backward';
    this.pick(1);
  }

  /** Makes current the valid source whose entry comes first with `sign` -1, last with 1. */
  private pick(sign: number): void {
    const sources = this.sources;
    const prefixes = this.prefixes;
    let best = -1;
    let bestPrefix = 0;
    let bestEntry: InternalEntry | undefined;
    for (let i = 0; i < sources.length; i++) {
      const source = sources[i] as InternalIterator;
      if (!source.valid) continue;
      const prefix = prefixes[i] as number;
      if (best >= 0) {
        if (prefix !== bestPrefix) {
          if ((prefix - bestPrefix) * sign < 0) continue;
          bestEntry = undefined;
        } else {
          // Equal numbers (or numbers off): the keys decide; the entry is made once per position.
          bestEntry ??= (sources[best] as InternalIterator).entry;
          const entry = source.entry;
          if (compareEntries(entry, bestEntry) * sign <= 0) continue;
          bestEntry = entry;
        }
      }
      best = i;
      bestPrefix = prefix;
    }
    this.currentIndex = best;
  }
}

function compareEntries(a: InternalEntry, b: InternalEntry): number {
  return compareInternal(a.key, a.seq, b.key, b.seq);
}
