/**
 * The checksum of a fragment: CRC-32 over the log number (8 bytes, LE), then the type byte,
 * then the payload, masked. Mixing the log number in means bytes left over from another log
 * file (a recycled or preallocated file, a stale block) never pass as this log's data.
 */
import { crc32, writeUint64 } from '@kv/base';
import { FRAGMENT_HEADER_BYTES, FRAGMENT_TYPE_OFFSET } from './format.js';

let lastLogNumber = -1;
let lastSeed = 0;

/**
 * The CRC of a log number's 8 little-endian bytes: the starting point of every fragment CRC.
 * Remembers the last one: a writer asks for the same log's seed on every append.
 */
export function logCrcSeed(logNumber: number): number {
  if (logNumber === lastLogNumber) return lastSeed;
  const bytes = new Uint8Array(8);
  writeUint64(new DataView(bytes.buffer), 0, logNumber);
  lastSeed = crc32(bytes);
  lastLogNumber = logNumber;
  return lastSeed;
}

/** The seed `typeCrcs` was filled for, and the CRC of each type byte value continuing from it. */
let typeCrcSeed = -1;
const typeCrcs = new Float64Array(256).fill(-1);

/**
 * The CRC of the one byte `type` continuing from `seed`: what a fragment CRC continues from
 * over the payload (`payloadCrc`). Remembered per seed, so no view of the type byte is made.
 */
function typeByteCrc(seed: number, type: number): number {
  if (seed !== typeCrcSeed) {
    typeCrcs.fill(-1);
    typeCrcSeed = seed;
  }
  let crc = typeCrcs[type] as number;
  if (crc < 0) {
    crc = crc32(Uint8Array.of(type), seed);
    typeCrcs[type] = crc;
  }
  return crc;
}

/**
 * The unmasked CRC of a fragment of `type` carrying `payload` in the log whose seed is `seed`:
 * over the type byte, then the payload. Writers call it with the payload they frame, readers
 * through `fragmentCrc`.
 */
export function payloadCrc(seed: number, type: number, payload: Uint8Array): number {
  return crc32(payload, typeByteCrc(seed, type));
}

/** The unmasked CRC of the fragment whose header starts at `headerOffset` in `bytes`. */
export function fragmentCrc(bytes: Uint8Array, options: { headerOffset: number; payloadBytes: number; seed: number }): number {
  const payloadStart = options.headerOffset + FRAGMENT_HEADER_BYTES;
  return payloadCrc(options.seed, bytes[options.headerOffset + FRAGMENT_TYPE_OFFSET] as number, bytes.subarray(payloadStart, payloadStart + options.payloadBytes));
}
