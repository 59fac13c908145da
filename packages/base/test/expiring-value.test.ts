import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EntryKind, encodeExpiringValue, expiryOf, readsAsDeleted, userValueOf } from '../src/index.js';

describe('expiring values', () => {
  it('round-trip the expiry time and the value', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ maxLength: 64 }), (expiresAt, value) => {
        const stored = encodeExpiringValue(expiresAt, value);
        expect(expiryOf(stored)).toBe(expiresAt);
        expect(userValueOf({ kind: EntryKind.PutExpiring, value: stored })).toEqual(value);
      }),
    );
  });

  it('read as deleted from the expiry time on', () => {
    const entry = { kind: EntryKind.PutExpiring, value: encodeExpiringValue(1000, Uint8Array.of(7)) };
    expect(readsAsDeleted(entry, 999)).toBe(false);
    expect(readsAsDeleted(entry, 1000)).toBe(true);
    expect(readsAsDeleted({ kind: EntryKind.Put, value: Uint8Array.of(1) }, Number.MAX_SAFE_INTEGER)).toBe(false);
    expect(readsAsDeleted({ kind: EntryKind.Delete, value: new Uint8Array(0) }, 0)).toBe(true);
    expect(readsAsDeleted({ kind: EntryKind.PutExpiring, value: Uint8Array.of(1, 2) }, 0)).toBe(true);
  });
});
