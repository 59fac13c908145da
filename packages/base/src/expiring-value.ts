/**
 * The stored value of a `PutExpiring` entry: the expiry time, then the user's value.
 *
 *   stored := expiresAtMs:uint64le userValue:bytes
 *
 * `expiresAtMs` is wall-clock milliseconds since the Unix epoch (the engine's clock). The
 * entry is visible while `now < expiresAtMs` and reads as deleted from then on.
 */
import { EntryKind } from './brands.js';
import { viewOf, writeUint64 } from './bytes.js';
import type { InternalEntry } from './internal-iterator.js';

export const EXPIRY_BYTES = 8;

/** The stored value of an entry that expires at `expiresAtMs`. */
export function encodeExpiringValue(expiresAtMs: number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(EXPIRY_BYTES + value.length);
  writeUint64(viewOf(out), 0, expiresAtMs);
  out.set(value, EXPIRY_BYTES);
  return out;
}

/** The expiry time of a stored expiring value; a value too short to hold one counts as expired. */
export function expiryOf(stored: Uint8Array): number {
  if (stored.length < EXPIRY_BYTES) return 0;
  // Two 32-bit halves: cheaper than a BigInt on every read of an expiring entry.
  const view = viewOf(stored);
  return view.getUint32(0, true) + view.getUint32(4, true) * 0x1_0000_0000;
}

/** Whether `entry` reads as deleted at time `nowMs`: a delete, or an expiring put past its time. */
export function readsAsDeleted(entry: Pick<InternalEntry, 'kind' | 'value'>, nowMs: number): boolean {
  if (entry.kind === EntryKind.Delete) return true;
  return entry.kind === EntryKind.PutExpiring && expiryOf(entry.value) <= nowMs;
}

/** The user's value of a live put (a view into the stored value). */
export function userValueOf(entry: Pick<InternalEntry, 'kind' | 'value'>): Uint8Array {
  return entry.kind === EntryKind.PutExpiring ? entry.value.subarray(EXPIRY_BYTES) : entry.value;
}
