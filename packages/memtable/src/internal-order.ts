import type { EntryPacker } from '@kv/base';

/**
 * Compares entry `id` of `store` with the target (key, seq) in internal order: user key
 * ascending, then seq descending, so the newest version of a key comes first. Negative when the
 * entry sorts before the target, zero when it is the target.
 *
 * The seq tie-break is written out rather than going through a generic pair comparator: it runs
 * only when the keys are equal, and then it is one subtraction.
 */
export function compareToTarget(store: EntryPacker, id: number, key: Uint8Array, seq: number): number {
  const order = store.compareKeyAt(id, key);
  return order !== 0 ? order : seq - store.seqAt(id);
}
