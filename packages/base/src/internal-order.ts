/**
 * Internal order: user key ascending (unsigned bytes, shorter prefix first), then seq
 * descending, so a key's newest version comes first.
 */
import { compareBytes } from './compare-bytes.js';

/** Negative when (aKey, aSeq) sorts before (bKey, bSeq), zero when equal, positive after. */
export function compareInternal(aKey: Uint8Array, aSeq: number, bKey: Uint8Array, bSeq: number): number {
  const byKey = compareBytes(aKey, bKey);
  return byKey !== 0 ? byKey : bSeq - aSeq;
}
