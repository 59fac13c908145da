/**
 * Versions of keys for the table build tests, and the order they must arrive in, written
 * independently of the code under test.
 */
import type { EntryKind } from '@kv/base';

export interface Version {
  key: Uint8Array;
  seq: number;
  kind: EntryKind;
  value: Uint8Array;
}

/** Unsigned lexicographic byte order, spelled out. */
export function compareKeys(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return (a[i] as number) - (b[i] as number);
  return a.length - b.length;
}

/** Internal order: key ascending, then seq descending. */
export function internalOrder(a: Version, b: Version): number {
  return compareKeys(a.key, b.key) || b.seq - a.seq;
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}
