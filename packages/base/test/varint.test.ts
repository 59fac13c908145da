import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VARINT_MAX_BYTES, decodeVarint, encodeVarint, varintLength } from '../src/index.js';

describe('varint', () => {
  // Goal: every safe non-negative integer survives encode/decode.
  // Strategy: random integers across the whole safe range plus the 7-bit boundaries.
  // Invariants: decode(encode(v)) = v; the encoded length equals varintLength(v) and fits the cap.
  it('round-trips any safe integer', () => {
    const boundaries = fc.constantFrom(0, 127, 128, 16383, 16384, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER);
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeNat(), boundaries), (value) => {
        const target = new Uint8Array(VARINT_MAX_BYTES + 2);
        const end = encodeVarint(value, target, 1);
        expect(end - 1).toBe(varintLength(value));
        expect(end - 1).toBeLessThanOrEqual(VARINT_MAX_BYTES);
        expect(decodeVarint(target, 1)).toEqual({ value, next: end });
      }),
    );
  });

  // Goal: a truncated varint is reported, never misread.
  // Strategy: encode, then cut off at every length short of the full encoding.
  // Invariants: decode of any strict prefix is undefined.
  it('reports truncation instead of a value', () => {
    fc.assert(
      fc.property(fc.maxSafeNat(), (value) => {
        const target = new Uint8Array(VARINT_MAX_BYTES);
        const end = encodeVarint(value, target, 0);
        for (let cut = 0; cut < end; cut++) expect(decodeVarint(target.subarray(0, cut), 0)).toBeUndefined();
      }),
    );
  });

  it('rejects overlong and oversized encodings', () => {
    expect(decodeVarint(Uint8Array.of(0x80, 0x00), 0)).toBeUndefined();
    expect(decodeVarint(new Uint8Array(9).fill(0xff), 0)).toBeUndefined();
    expect(decodeVarint(Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f), 0)).toBeUndefined();
  });

  it('rejects negative and fractional values as bugs', () => {
    expect(() => varintLength(-1)).toThrow(/assertion failed/);
    expect(() => encodeVarint(1.5, new Uint8Array(8), 0)).toThrow(/assertion failed/);
  });
});
