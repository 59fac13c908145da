/**
 * A range deletion: every version of every key in [start, end) with a sequence number below
 * `seq` reads as deleted. `end` undefined means no upper bound. Sequence numbers are unique
 * across the database, so `seq` identifies the tombstone.
 */
import type { SeqNum } from './brands.js';
import { compareBytes } from './compare-bytes.js';

export interface RangeTombstone {
  readonly start: Uint8Array;
  /** Exclusive; undefined = up to the end of the key space. */
  readonly end: Uint8Array | undefined;
  readonly seq: SeqNum;
}

/** Whether `key` is in [tombstone.start, tombstone.end). */
export function tombstoneCovers(tombstone: RangeTombstone, key: Uint8Array): boolean {
  return compareBytes(key, tombstone.start) >= 0 && (tombstone.end === undefined || compareBytes(key, tombstone.end) < 0);
}

/** Whether the range [tombstone.start, end) meets the inclusive key range [smallest, largest]. */
export function tombstoneOverlaps(tombstone: RangeTombstone, smallest: Uint8Array, largest: Uint8Array): boolean {
  return compareBytes(largest, tombstone.start) >= 0 && (tombstone.end === undefined || compareBytes(smallest, tombstone.end) < 0);
}

/** Whether the tombstone's range holds no key at all (end <= start). */
export function tombstoneIsEmpty(tombstone: Pick<RangeTombstone, 'start' | 'end'>): boolean {
  return tombstone.end !== undefined && compareBytes(tombstone.end, tombstone.start) <= 0;
}
