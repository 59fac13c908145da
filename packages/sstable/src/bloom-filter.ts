/**
 * A bloom filter over a file's distinct user keys, by double hashing: probe i of a key is bit
 * (h + i × delta) mod m, where h is the key's 32-bit MurmurHash3 and delta = 1 + (fmix32(h ^
 * 0x9e3779b9) mod (m − 1)), a second, well-mixed value derived from h (never 0 mod m). One hash
 * per key, k probes. LevelDB's delta (h rotated by 17, arithmetic mod 2^32) measured 1.26%
 * false positives at 10 bits per key against 0.82% in theory; this one measures 0.82%.
 */
import { CorruptionError } from '@kv/base';
import { BLOOM_HASH_COUNT_MAX, BLOOM_HASH_SEED, BLOOM_HEADER_BYTES } from './format.js';
import { murmur3Hash32, murmur3Hash32Range } from './bloom-hash.js';

/** Smallest filter, so tiny files keep a sane false-positive rate. */
const BLOOM_BITS_MIN = 64;

/** k = round(bitsPerKey × ln 2), clamped to 1..30. */
export function bloomHashCount(bitsPerKey: number): number {
  return Math.min(BLOOM_HASH_COUNT_MAX, Math.max(1, Math.round(bitsPerKey * Math.LN2)));
}

/** Hash of a user key as the filter uses it. */
export function bloomKeyHash(key: Uint8Array): number {
  return murmur3Hash32(key, BLOOM_HASH_SEED);
}

/** `bloomKeyHash` of `length` bytes of `bytes` from `start`, without a view of them. */
export function bloomKeyHashRange(bytes: Uint8Array, start: number, length: number): number {
  return murmur3Hash32Range(bytes, start, length, BLOOM_HASH_SEED);
}

/** The probe step for a key hash: in 1..m-1, from the MurmurHash3 finalizer of a perturbed hash. */
export function bloomDelta(hash: number, bitCount: number): number {
  let h = (hash ^ 0x9e3779b9) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return ((h >>> 0) % (bitCount - 1)) + 1;
}

/** Builds the bloom section from key hashes (one per distinct key). Empty when bitsPerKey is 0. */
export function encodeBloom(hashes: Uint32Array, bitsPerKey: number): Uint8Array {
  if (bitsPerKey === 0) return new Uint8Array(0);
  const bitCount = Math.max(BLOOM_BITS_MIN, Math.ceil(hashes.length * bitsPerKey / 8) * 8);
  const hashCount = bloomHashCount(bitsPerKey);
  const out = new Uint8Array(BLOOM_HEADER_BYTES + bitCount / 8);
  const view = new DataView(out.buffer);
  view.setUint32(0, hashCount, true);
  view.setUint32(4, bitCount, true);
  const bits = out.subarray(BLOOM_HEADER_BYTES);
  // An indexed loop: `for...of` allocated an iterator result per key where it ran unoptimized.
  for (let k = 0; k < hashes.length; k++) {
    const hash = hashes[k] as number;
    let bit = hash % bitCount;
    const delta = bloomDelta(hash, bitCount);
    for (let i = 0; i < hashCount; i++) {
      bits[bit >>> 3] = (bits[bit >>> 3] as number) | (1 << (bit & 7));
      bit += delta;
      if (bit >= bitCount) bit -= bitCount;
    }
  }
  return out;
}

/** A decoded filter. An empty section decodes to a filter that admits every key. */
export class BloomFilter {
  private readonly bits: Uint8Array;
  private readonly bitCount: number;
  private readonly hashCount: number;

  private constructor(bits: Uint8Array, bitCount: number, hashCount: number) {
    this.bits = bits;
    this.bitCount = bitCount;
    this.hashCount = hashCount;
  }

  static decode(section: Uint8Array, where: string): BloomFilter {
    if (section.length === 0) return new BloomFilter(section, 0, 0);
    if (section.length < BLOOM_HEADER_BYTES) throw new CorruptionError(where, 'bloom section shorter than its header');
    const view = new DataView(section.buffer, section.byteOffset, BLOOM_HEADER_BYTES);
    const hashCount = view.getUint32(0, true);
    const bitCount = view.getUint32(4, true);
    if (hashCount < 1 || hashCount > BLOOM_HASH_COUNT_MAX) throw new CorruptionError(where, `bloom hash count ${hashCount}`);
    if (bitCount < BLOOM_BITS_MIN || bitCount % 8 !== 0 || BLOOM_HEADER_BYTES + bitCount / 8 !== section.length) {
      throw new CorruptionError(where, `bloom bit count ${bitCount} does not match its ${section.length}-byte section`);
    }
    return new BloomFilter(section.subarray(BLOOM_HEADER_BYTES), bitCount, hashCount);
  }

  /** False only when `key` was certainly not added. */
  mayContain(key: Uint8Array): boolean {
    return this.mayContainHash(bloomKeyHash(key));
  }

  /**
   * `mayContain` given the key's `bloomKeyHash`: the hash depends on the key only, so a lookup
   * that checks the filters of several files computes it once.
   */
  mayContainHash(hash: number): boolean {
    if (this.hashCount === 0) return true;
    const bitCount = this.bitCount;
    let bit = hash % bitCount;
    const delta = bloomDelta(hash, bitCount);
    for (let i = 0; i < this.hashCount; i++) {
      if (((this.bits[bit >>> 3] as number) & (1 << (bit & 7))) === 0) return false;
      bit += delta;
      if (bit >= bitCount) bit -= bitCount;
    }
    return true;
  }
}
