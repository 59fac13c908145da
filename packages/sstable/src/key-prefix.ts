/**
 * The first `KEY_PREFIX_BYTES` bytes of a key as an exact integer (48 bits fit a double),
 * zero-padded on the right, as in @kv/memtable. The page index keeps them in a contiguous
 * Float64Array, so most binary-search probes touch only that array.
 *
 * Contract: `keyPrefix(a) < keyPrefix(b)` implies `compareBytes(a, b) < 0`. Equal prefixes say
 * nothing, so ties fall back to `compareBytes`.
 */
export const KEY_PREFIX_BYTES = 6;

export function keyPrefix(key: Uint8Array): number {
  const length = key.length < KEY_PREFIX_BYTES ? key.length : KEY_PREFIX_BYTES;
  let prefix = 0;
  for (let i = 0; i < length; i++) prefix = prefix * 256 + (key[i] as number);
  for (let i = length; i < KEY_PREFIX_BYTES; i++) prefix *= 256;
  return prefix;
}
