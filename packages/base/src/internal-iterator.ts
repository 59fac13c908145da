/**
 * The cursor shape every sorted source of internal entries offers: memtables, page files and
 * merging iterators. Internal order: user key ascending, then sequence number descending, so
 * the newest version of a key comes first. All methods are synchronous.
 */
import { EntryKind } from './brands.js';
import type { SeqNum } from './brands.js';

export interface InternalEntry {
  readonly key: Uint8Array;
  readonly seq: SeqNum;
  readonly kind: EntryKind;
  readonly value: Uint8Array;
  /**
   * True when `key` is a new array made for this entry that nothing else holds or changes (a
   * page file's reader assembles a key from its page's shared prefix and the slot's suffix),
   * so a consumer may keep it without copying. Absent or false: a view, copy to keep.
   */
  readonly keyOwned?: boolean;
}

/**
 * An entry a loop rewrites in place at each step instead of making one object per entry (a
 * page file's scan, a packed run's reader): valid only until the next step.
 */
export type MutableInternalEntry = { -readonly [field in keyof InternalEntry]: InternalEntry[field] };

const NO_BYTES: Uint8Array = new Uint8Array(0);

/** A new `MutableInternalEntry` to fill: an empty put at seq 0. */
export function newMutableEntry(): MutableInternalEntry {
  return { key: NO_BYTES, seq: 0 as SeqNum, kind: EntryKind.Put, value: NO_BYTES, keyOwned: false };
}

export interface InternalIterator {
  readonly valid: boolean;
  /** Requires `valid`. Key and value are views: copy before keeping them. */
  readonly entry: InternalEntry;
  seekToFirst(): void;
  seekToLast(): void;
  /** First entry at or after (key, seq); `seq` defaults to the largest, i.e. key's newest. */
  seek(key: Uint8Array, seq?: SeqNum): void;
  /** Last entry at or before (key, seq); `seq` defaults to 0, i.e. key's oldest. */
  seekForPrev(key: Uint8Array, seq?: SeqNum): void;
  next(): void;
  prev(): void;
  /**
   * Optional. The consumer holds no key or value view it read from this iterator any more (it
   * copied what it keeps), so pages the iterator has moved off may be reused for other pages.
   * A consumer that never calls it is still correct; its pages are only collected, not reused.
   */
  releaseViews?(): void;
  /**
   * Optional. `releaseViews`, and the pages under the current position too: the consumer is
   * done with the iterator until it positions it again (a seek), so `valid` is false.
   */
  release?(): void;
}
