import type { EntryPacker } from '@kv/base';

/**
 * Compares entry `id` of `store` with the target (key, seq) in internal order: user key
 * ascending, then seq descending, so the newest version of a key comes first. Negative when the
 * entry sorts before the target, zero when it is the target. The target key is `length` bytes
 * of `bytes` from `start` (a whole key is `key, 0, key.length`): an insert from a batch payload
 * needs no view of its key.
 *
 * The seq tie-break is written out rather than going through a generic pair comparator: it runs
 * only when the keys are equal, and then it is one subtraction.
 */
export function compareToTarget(store: EntryPacker, id: number, bytes: Uint8Array, start: number, length: number, seq: number): number {
  const order = store.compareKeyRange(id, bytes, start, length);
  return order !== 0 ? order : seq - store.seqAt(id);
}
