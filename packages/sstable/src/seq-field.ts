/**
 * Sequence numbers on disk: 7 bytes, little-endian. Seqs are at most 2^53 - 1, so the value
 * splits into a 32-bit low part and a 21-bit high part; no bigint on the read path.
 */
const TWO_32 = 4_294_967_296;
const HIGH_LIMIT = 1 << 21;

/** Writes `seq` (a safe non-negative integer) as 7 little-endian bytes at `offset`. */
export function writeSeq(view: DataView, offset: number, seq: number): void {
  const high = Math.floor(seq / TWO_32);
  view.setUint32(offset, seq >>> 0, true);
  view.setUint16(offset + 4, high & 0xffff, true);
  view.setUint8(offset + 6, high >>> 16);
}

/** Reads 7 bytes written by `writeSeq`. Returns -1 when the value is not a safe integer. */
export function readSeq(view: DataView, offset: number): number {
  const high = view.getUint16(offset + 4, true) + view.getUint8(offset + 6) * 65_536;
  if (high >= HIGH_LIMIT) return -1;
  return high * TWO_32 + view.getUint32(offset, true);
}

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
