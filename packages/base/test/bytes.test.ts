import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { moveBytes, readUint32LE, readUint64LE, setUint32LE, setUint64LE, viewOf } from '../src/index.js';

/** The reference reading: a DataView's 64-bit read, undefined past 2^53 - 1. */
function dataViewUint64(view: DataView, offset: number): number | undefined {
  const value = view.getBigUint64(offset, true);
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : undefined;
}

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
        expect(dataViewUint64(viewOf(bytes), offset)).toBe(value);
        setUint32LE(bytes, offset + 12, small);
        expect(viewOf(bytes).getUint32(offset + 12, true)).toBe(small);
        expect(bytes.subarray(0, offset).every((b) => b === 0)).toBe(true);
        expect(bytes.subarray(offset + 16).every((b) => b === 0)).toBe(true);
      }),
    );
  });

  // Goal: the byte-by-byte readers (a batch header read per write) read what a DataView reads,
  // and refuse a 64-bit value past 2^53 - 1. Strategy: random 8 bytes at a random offset, plus
  // values at and around 2^53. Invariants: readUint64LE equals the DataView reading
  // (undefined included) and reads back setUint64LE; readUint32LE equals getUint32.
  it('readUint64LE and readUint32LE agree with DataView', () => {
    const edges = [0, 1, 2 ** 32 - 1, 2 ** 32, Number.MAX_SAFE_INTEGER].map((value) => {
      const bytes = new Uint8Array(8);
      setUint64LE(bytes, 0, value);
      return bytes;
    });
    const past = Uint8Array.of(0, 0, 0, 0, 0, 0, 0x20, 0);
    const raw = fc.oneof(fc.uint8Array({ minLength: 8, maxLength: 8 }), fc.constantFrom(...edges, past));
    fc.assert(
      fc.property(raw, fc.nat({ max: 8 }), (eight, offset) => {
        const bytes = new Uint8Array(24);
        bytes.set(eight, offset);
        const view = viewOf(bytes);
        expect(readUint64LE(bytes, offset)).toBe(dataViewUint64(view, offset));
        expect(readUint32LE(bytes, offset)).toBe(view.getUint32(offset, true));
        expect(readUint32LE(bytes, offset + 4)).toBe(view.getUint32(offset + 4, true));
      }),
    );
    expect(readUint64LE(past, 0)).toBeUndefined();
    expect(readUint64LE(edges[4] as Uint8Array, 0)).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('moveBytes', () => {
  // Goal: the in-array move used to lay out pages is copyWithin's semantics at every length.
  // Strategy: random arrays, ranges of any length (both sides of the loop/copyWithin cut at 24
  // bytes), overlapping forwards and backwards.
  // Invariants: the result equals copying the source range out first and writing it back at
  // `to`; nothing outside the target range changes.
  it('moves like copyWithin, overlapping or not', () => {
    const arb = fc.uint8Array({ minLength: 1, maxLength: 120 }).chain((bytes) =>
      fc.record({
        bytes: fc.constant(bytes),
        length: fc.nat({ max: bytes.length }),
      }).chain(({ bytes: b, length }) => fc.record({ bytes: fc.constant(b), length: fc.constant(length), from: fc.nat({ max: b.length - length }), to: fc.nat({ max: b.length - length }) })),
    );
    fc.assert(
      fc.property(arb, ({ bytes, length, from, to }) => {
        const expected = bytes.slice();
        expected.set(bytes.slice(from, from + length), to);
        const moved = bytes.slice();
        moveBytes(moved, to, from, length);
        expect(moved).toEqual(expected);
      }),
    );
  });
});
