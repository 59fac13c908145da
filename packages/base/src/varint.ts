/**
 * Unsigned LEB128 varints for non-negative safe integers (up to 2^53 - 1, at most 8 bytes).
 * Decoders take untrusted bytes: they report truncation and overlong input instead of
 * throwing, so callers can turn it into a `CorruptionError` with context.
 */
import { assert } from './assert.js';

/** The longest varint this module writes or accepts (enough for 2^53 - 1). */
export const VARINT_MAX_BYTES = 8;

/** Bytes `encodeVarint` needs for `value`. */
export function varintLength(value: number): number {
  assert(Number.isSafeInteger(value) && value >= 0, 'varint value is a non-negative safe integer');
  let length = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    length++;
  }
  return length;
}

/** Writes `value` at `offset` and returns the offset just past it. */
export function encodeVarint(value: number, target: Uint8Array, offset: number): number {
  assert(Number.isSafeInteger(value) && value >= 0, 'varint value is a non-negative safe integer');
  while (value >= 0x80) {
    target[offset++] = (value % 128) | 0x80;
    value = Math.floor(value / 128);
  }
  target[offset++] = value;
  return offset;
}

/** A decoded varint and the offset just past it. */
export interface DecodedVarint {
  value: number;
  next: number;
}

/**
 * Reads a varint at `offset`. Returns `undefined` when the bytes end before the varint does,
 * it runs past `VARINT_MAX_BYTES`, or the value is not a safe integer.
 */
export function decodeVarint(source: Uint8Array, offset: number): DecodedVarint | undefined {
  let value = 0;
  let scale = 1;
  for (let i = 0; i < VARINT_MAX_BYTES; i++) {
    const byte = source[offset + i];
    if (byte === undefined) return undefined;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) {
      if (i > 0 && byte === 0) return undefined;
      return Number.isSafeInteger(value) ? { value, next: offset + i + 1 } : undefined;
    }
    scale *= 128;
  }
  return undefined;
}
