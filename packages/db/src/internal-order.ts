/**
 * Internal order: user key ascending, then sequence number descending (newest first).
 */
import { compareBytes } from '@kv/base';
import type { InternalEntry } from '@kv/base';

export function compareInternal(a: InternalEntry, b: InternalEntry): number {
  const order = compareBytes(a.key, b.key);
  if (order !== 0) return order;
  return b.seq - a.seq;
}
