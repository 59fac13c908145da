import { compareBytes } from '@kv/base';
import type { MemtableEntry } from './memtable-entry.js';

/**
 * Compares `entry` with the target (key, seq) in internal order: user key ascending, then seq
 * descending, so the newest version of a key comes first. Negative when `entry` sorts before
 * the target, zero when it is the target.
 *
 * The seq tie-break is written out rather than going through a generic pair comparator: it runs
 * only when the keys are equal, and then it is one subtraction.
 */
export function compareToTarget(entry: MemtableEntry, key: Uint8Array, seq: number): number {
  const order = compareBytes(entry.key, key);
  return order !== 0 ? order : seq - entry.seq;
}
