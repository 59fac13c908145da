/**
 * 8-byte little-endian integers (file offsets, seqs in the index) as safe JavaScript numbers:
 * a 32-bit low part and a high part below 2^21, no bigint on the read path.
 */
const TWO_32 = 4_294_967_296;
const HIGH_LIMIT = 1 << 21;

/** Writes a safe integer as 8 little-endian bytes without bigint. */
export function writeUint64Number(view: DataView, offset: number, value: number): void {
  view.setUint32(offset, value >>> 0, true);
  view.setUint32(offset + 4, Math.floor(value / TWO_32), true);
}

/** Reads 8 little-endian bytes; returns -1 when the value is not a safe integer. */
export function readUint64Number(view: DataView, offset: number): number {
  const high = view.getUint32(offset + 4, true);
  if (high >= HIGH_LIMIT) return -1;
  return high * TWO_32 + view.getUint32(offset, true);
}
