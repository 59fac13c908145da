import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, keyPrefix, keyPrefixAt } from '../src/index.js';

describe('keyPrefix', () => {
  it('never contradicts compareBytes', () => {
    // Goal: leaves trust a smaller prefix to mean a smaller key without reading the key.
    // Strategy: pairs of keys over a tiny alphabet with zeros (so shared prefixes, keys that
    // differ only by trailing zeros and keys longer than the prefix are common).
    // Invariants: prefix(a) < prefix(b) implies a < b; a < b implies prefix(a) <= prefix(b);
    // the prefix is an exact integer.
    const key = fc.uint8Array({ maxLength: 9 }).map((b) => b.map((x) => [0, 1, 0xfe, 0xff][x % 4] ?? 0));
    fc.assert(
      fc.property(key, key, (a, b) => {
        const order = compareBytes(a, b);
        const pa = keyPrefix(a);
        const pb = keyPrefix(b);
        expect(Number.isSafeInteger(pa)).toBe(true);
        if (pa < pb) expect(order).toBeLessThan(0);
        if (order < 0) expect(pa).toBeLessThanOrEqual(pb);
      }),
      { numRuns: 2000 },
    );
  });

  it('after a shared head, never contradicts compareBytes of the whole keys', () => {
    // Goal: the page index takes prefixes after the head all its fences share.
    // Strategy: one head in front of two random tails; offsets from 0 to the head's length.
    // Invariants: prefix(a, offset) < prefix(b, offset) implies a < b; a key no longer than
    // the offset has prefix 0.
    const bytes = fc.uint8Array({ maxLength: 9 }).map((b) => b.map((x) => [0, 1, 0x30, 0xff][x % 4] ?? 0));
    fc.assert(
      fc.property(bytes, bytes, bytes, fc.nat({ max: 9 }), (head, tailA, tailB, cut) => {
        const offset = Math.min(cut, head.length);
        const a = Uint8Array.from([...head, ...tailA]);
        const b = Uint8Array.from([...head, ...tailB]);
        const pa = keyPrefix(a, offset);
        const pb = keyPrefix(b, offset);
        if (pa < pb) expect(compareBytes(a, b)).toBeLessThan(0);
        if (compareBytes(a, b) < 0) expect(pa).toBeLessThanOrEqual(pb);
        expect(keyPrefix(head, head.length)).toBe(0);
      }),
      { numRuns: 2000 },
    );
  });

  it('of a range in place equals the prefix of the same range as its own array (keyPrefixAt)', () => {
    // Goal: the page index takes fence prefixes where the fences lie in its section.
    // Strategy: a key embedded at a random offset of a larger view; offsets past the key too.
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 12 }), fc.uint8Array({ maxLength: 9 }), fc.uint8Array({ maxLength: 9 }), fc.nat({ max: 14 }), (key, before, after, offset) => {
        const outer = Uint8Array.from([7, ...before, ...key, ...after]).subarray(1);
        expect(keyPrefixAt(outer, before.length, key.length, offset)).toBe(keyPrefix(key, offset));
      }),
      { numRuns: 1000 },
    );
  });
});
