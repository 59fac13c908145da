import { Buffer } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { commonPrefixLength, commonPrefixLengthAt, compareByteRanges, compareBytes, compareBytesAt, equalBytes } from '../src/index.js';

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);

describe('compareBytes', () => {
  // Goal: the JS loop and the native path order bytes exactly like Buffer.compare.
  // Strategy: random arrays, short (loop) and long (native), often sharing prefixes.
  // Invariants: sign(compareBytes(a, b)) = sign(Buffer.compare(a, b)) and is antisymmetric.
  it('orders like Buffer.compare at every length', () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 60, maxLength: 200 }));
    fc.assert(
      fc.property(bytes, bytes, fc.uint8Array({ maxLength: 80 }), (a, b, prefix) => {
        const left = Uint8Array.from([...prefix, ...a]);
        const right = Uint8Array.from([...prefix, ...b]);
        const expected = sign(Buffer.compare(left, right));
        expect(sign(compareBytes(left, right))).toBe(expected);
        expect(sign(compareBytes(right, left))).toBe(expected === 0 ? 0 : -expected);
        expect(equalBytes(left, right)).toBe(expected === 0);
      }),
    );
  });

  it('compares a range in place like the same range as its own array (compareBytesAt)', () => {
    // Goal: the memtable compares keys where they lie in a payload; the order must not change.
    // Strategy: embed `left` at a random offset of a larger buffer (itself a view with an
    // offset), short and long keys. Invariant: same sign as compareBytes on the copies.
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 60, maxLength: 200 }));
    fc.assert(
      fc.property(bytes, bytes, fc.uint8Array({ maxLength: 9 }), fc.uint8Array({ maxLength: 9 }), (a, b, before, after) => {
        const outer = Uint8Array.from([7, ...before, ...a, ...after]).subarray(1);
        expect(sign(compareBytesAt(outer, before.length, a.length, b))).toBe(sign(compareBytes(a, b)));
      }),
    );
  });

  it('compares two ranges in place like the same ranges as their own arrays (compareByteRanges)', () => {
    // Goal: the page index compares adjacent fences where they lie in its section.
    // Strategy: both keys embedded at random offsets of one buffer (a view with an offset),
    // short and long keys. Invariant: same sign as compareBytes on the copies.
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 20 }), fc.uint8Array({ minLength: 60, maxLength: 200 }));
    fc.assert(
      fc.property(bytes, bytes, fc.uint8Array({ maxLength: 9 }), fc.uint8Array({ maxLength: 9 }), (a, b, before, between) => {
        const outer = Uint8Array.from([7, ...before, ...a, ...between, ...b]).subarray(1);
        const bStart = before.length + a.length + between.length;
        expect(sign(compareByteRanges(outer, before.length, a.length, outer, bStart, b.length))).toBe(sign(compareBytes(a, b)));
        expect(sign(compareByteRanges(outer, bStart, b.length, outer, before.length, a.length))).toBe(sign(compareBytes(b, a)));
      }),
    );
  });

  it('treats bytes as unsigned and a prefix as smaller', () => {
    expect(compareBytes(Uint8Array.of(0x7f), Uint8Array.of(0x80))).toBeLessThan(0);
    expect(compareBytes(Uint8Array.of(1, 2), Uint8Array.of(1, 2, 0))).toBeLessThan(0);
    expect(compareBytes(new Uint8Array(0), new Uint8Array(0))).toBe(0);
  });

  it('respects views into larger buffers', () => {
    const backing = Uint8Array.of(9, 1, 2, 3, 9, 1, 2, 4);
    const long = new Uint8Array(300).fill(5);
    expect(compareBytes(backing.subarray(1, 4), backing.subarray(5, 8))).toBeLessThan(0);
    expect(compareBytes(long.subarray(0, 100), long.subarray(1, 101))).toBe(0);
  });

  it('measures the shared prefix of a range in place like that of the range as its own array (commonPrefixLengthAt)', () => {
    // Goal: the memtable fits its key head against a key where it lies in a payload.
    // Strategy: keys over a two-symbol alphabet (so prefixes are often shared), `b` embedded
    // at a random offset of a view with an offset. Invariants: commonPrefixLengthAt equals
    // commonPrefixLength of the copies, which is the length of the longest shared prefix.
    const bytes = fc.uint8Array({ maxLength: 12 }).map((array) => array.map((byte) => byte % 2));
    fc.assert(
      fc.property(bytes, bytes, fc.uint8Array({ maxLength: 9 }), (a, b, before) => {
        const outer = Uint8Array.from([7, ...before, ...b, 9]).subarray(1);
        const shared = commonPrefixLength(a, b);
        expect(commonPrefixLengthAt(a, outer, before.length, b.length)).toBe(shared);
        expect(a.subarray(0, shared)).toEqual(b.subarray(0, shared));
        expect(shared === a.length || shared === b.length || a[shared] !== b[shared]).toBe(true);
      }),
    );
  });
});
