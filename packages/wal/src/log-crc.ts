/**
 * The checksum of a fragment: CRC-32 over the log number (8 bytes, LE), then the type byte,
 * then the payload, masked. Mixing the log number in means bytes left over from another log
 * file (a recycled or preallocated file, a stale block) never pass as this log's data.
 */
import { crc32, writeUint64 } from '@kv/base';
import { FRAGMENT_TYPE_OFFSET } from './format.js';

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
 * over the payload. Remembered per seed, so the writer's path needs no view of the type byte.
 */
export function typeByteCrc(seed: number, type: number): number {
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
 * The unmasked CRC of the fragment whose header starts at `headerOffset` in `bytes`. The type
 * byte and the payload are adjacent on disk, so one CRC call covers both.
 */
export function fragmentCrc(bytes: Uint8Array, options: { headerOffset: number; payloadBytes: number; seed: number }): number {
  const start = options.headerOffset + FRAGMENT_TYPE_OFFSET;
  const end = start + 1 + options.payloadBytes;
  return crc32(bytes.subarray(start, end), options.seed);
}
