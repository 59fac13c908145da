import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { bloomHashCount, murmur3Hash32 } from '../src/index.js';
import { BloomFilter, bloomKeyHash, encodeBloom } from '../src/bloom-filter.js';
import { text } from './helpers.js';

function filterOf(keys: readonly Uint8Array[], bitsPerKey: number): BloomFilter {
  return BloomFilter.decode(encodeBloom(Uint32Array.from(keys.map(bloomKeyHash)), bitsPerKey), 'test bloom');
}

/** Distinct 16-byte keys: `tag` in byte 0, the counter in bytes 1..4, a fixed filler after. */
function numberedKey(tag: number, i: number): Uint8Array {
  const key = new Uint8Array(16).fill(0x5a);
  key[0] = tag;
  new DataView(key.buffer).setUint32(1, i, true);
  return key;
}

describe('bloom filter', () => {
  test('murmur3 x86_32 matches the published test vectors', () => {
    expect(murmur3Hash32(new Uint8Array(0), 0)).toBe(0);
    expect(murmur3Hash32(new Uint8Array(0), 1)).toBe(0x514e28b7);
    expect(murmur3Hash32(new Uint8Array(0), 0xffffffff)).toBe(0x81f16f39);
    expect(murmur3Hash32(new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0)).toBe(0x76293b50);
    expect(murmur3Hash32(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0)).toBe(0xf55b516b);
    expect(murmur3Hash32(new Uint8Array([0x21, 0x43, 0x65, 0x87]), 0x5082edee)).toBe(0x2362f9de);
    expect(murmur3Hash32(new Uint8Array([0x21, 0x43, 0x65]), 0)).toBe(0x7e4a8634);
    expect(murmur3Hash32(new Uint8Array([0x21, 0x43]), 0)).toBe(0xa0f7b07a);
    expect(murmur3Hash32(new Uint8Array([0x21]), 0)).toBe(0x72661cf4);
    expect(murmur3Hash32(text('Hello, world!'), 1234)).toBe(0xfaf6cdb3);
    expect(murmur3Hash32(text('The quick brown fox jumps over the lazy dog'), 0x9747b28c)).toBe(0x2fa826cd);
  });

  test('k = round(bitsPerKey × ln 2), clamped to 1..30', () => {
    expect(bloomHashCount(10)).toBe(7);
    expect(bloomHashCount(1)).toBe(1);
    expect(bloomHashCount(0.1)).toBe(1);
    expect(bloomHashCount(64)).toBe(30);
  });

  test('has no false negatives', () => {
    // Goal: every key added is reported as possibly present.
    // Strategy: random key sets (empty keys, duplicates, long keys) and bits per key 1..20.
    // Invariant: mayContain(k) for each added k.
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 300 }), fc.integer({ min: 1, max: 20 }), (keys, bitsPerKey) => {
        const filter = filterOf(keys, bitsPerKey);
        for (const key of keys) expect(filter.mayContain(key)).toBe(true);
      }),
      { numRuns: 200, seed: 42 },
    );
  });

  test('false-positive rate is within 1.5x of theory (100k keys, 100k probes)', () => {
    // Goal: the hash and double hashing behave like k independent hashes.
    // Strategy: 100,000 keys in, 100,000 different keys probed, at 10 and 6 bits per key;
    // deterministic keys so the figure is reproducible.
    // Invariant: measured FPR <= 1.5 × (1 − e^(−kn/m))^k. The measured figures go in README.md.
    const n = 100_000;
    const keys = Array.from({ length: n }, (_, i) => numberedKey(1, i));
    for (const bitsPerKey of [10, 6]) {
      const filter = filterOf(keys, bitsPerKey);
      let falsePositives = 0;
      for (let i = 0; i < n; i++) if (filter.mayContain(numberedKey(2, i))) falsePositives++;
      const k = bloomHashCount(bitsPerKey);
      const theory = (1 - Math.exp((-k * n) / (n * bitsPerKey))) ** k;
      const measured = falsePositives / n;
      console.log(`bloom ${bitsPerKey} bits/key: measured FPR ${(measured * 100).toFixed(3)}%, theory ${(theory * 100).toFixed(3)}%`);
      expect(measured).toBeLessThanOrEqual(1.5 * theory);
    }
  });

  test('an empty section admits every key', () => {
    const filter = BloomFilter.decode(new Uint8Array(0), 'none');
    expect(filter.mayContain(text('anything'))).toBe(true);
  });
});
