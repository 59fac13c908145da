/**
 * MurmurHash3 x86_32 over bytes: a fast, well-mixed 32-bit hash with published test vectors.
 * The bloom filter derives all its probes from one call (double hashing), so the hash's
 * quality matters more than its speed on keys of a few dozen bytes.
 */
const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

export function murmur3Hash32(data: Uint8Array, seed: number): number {
  return murmur3Hash32Range(data, 0, data.length, seed);
}

/** `murmur3Hash32` of `length` bytes of `data` from `start`, without a view of them. */
export function murmur3Hash32Range(data: Uint8Array, start: number, length: number, seed: number): number {
  let h = seed >>> 0;
  const blockEnd = start + (length & ~3);
  for (let i = start; i < blockEnd; i += 4) {
    let k = (data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  let tail = 0;
  switch (length & 3) {
    case 3:
      tail ^= (data[blockEnd + 2] as number) << 16;
    // falls through
    case 2:
      tail ^= (data[blockEnd + 1] as number) << 8;
    // falls through
    case 1:
      tail ^= data[blockEnd] as number;
      tail = Math.imul(tail, C1);
      tail = (tail << 15) | (tail >>> 17);
      tail = Math.imul(tail, C2);
      h ^= tail;
  }
  h ^= length;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
