import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes, keyPrefix } from '../src/index.js';

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
});
