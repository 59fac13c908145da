import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readUint64, setUint32LE, setUint64LE, viewOf } from '../src/index.js';

describe('little-endian byte writers', () => {
  // Goal: the byte-by-byte writers used on hot paths write what a DataView writes.
  // Strategy: random safe integers (and 32-bit ones) at random offsets, plus the boundaries.
  // Invariants: DataView reads return the value; bytes outside the field stay zero.
  it('setUint64LE and setUint32LE agree with DataView', () => {
    const safe = fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER));
    fc.assert(
      fc.property(safe, fc.nat({ max: 0xffff_ffff }), fc.nat({ max: 8 }), (value, small, offset) => {
        const bytes = new Uint8Array(24);
        setUint64LE(bytes, offset, value);
        expect(readUint64(viewOf(bytes), offset)).toBe(value);
        setUint32LE(bytes, offset + 12, small);
        expect(viewOf(bytes).getUint32(offset + 12, true)).toBe(small);
        expect(bytes.subarray(0, offset).every((b) => b === 0)).toBe(true);
        expect(bytes.subarray(offset + 16).every((b) => b === 0)).toBe(true);
      }),
    );
  });
});
