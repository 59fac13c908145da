import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { KeyCopy, compareBytes } from '../src/index.js';

describe('KeyCopy', () => {
  test('compares like compareBytes against the last key set, whatever happens to that key afterwards', () => {
    // Goal: the reused buffer behaves like a fresh copy of each key, across growth and reuse.
    // Strategy: a sequence of keys (empty to 200 bytes, so the buffer grows) set one after
    // another; after each set the caller's array is overwritten, then probes are compared.
    // Invariants: compareWith(probe) has the sign of compareBytes(probe, key); toArray equals key.
    const keyArb = fc.uint8Array({ maxLength: 200 });
    fc.assert(
      fc.property(fc.array(fc.tuple(keyArb, fc.array(keyArb, { maxLength: 4 })), { minLength: 1, maxLength: 20 }), (steps) => {
        const copy = new KeyCopy();
        expect(copy.isSet).toBe(false);
        for (const [key, probes] of steps) {
          const original = key.slice();
          copy.set(key);
          key.fill(0xff);
          expect(copy.isSet).toBe(true);
          expect(copy.toArray()).toEqual(original);
          for (const probe of [...probes, original, original.subarray(0, original.length - 1)]) {
            expect(Math.sign(copy.compareWith(probe))).toBe(Math.sign(compareBytes(probe, original)));
          }
        }
      }),
      { numRuns: 200, seed: 0xc0b1 },
    );
  });
});
