/**
 * Pure encoding of records into framed, block-aligned bytes. The writer encodes first and
 * commits its new size only after the bytes were written, so a failed write leaves its state
 * untouched.
 */
import { AssertionError, ChunkAllocator, InvalidArgumentError, assert, maskCrc, setUint32LE } from '@kv/base';
import {
  BLOCK_SIZE_BYTES,
  FRAGMENT_CRC_OFFSET,
  FRAGMENT_HEADER_BYTES,
  FRAGMENT_LENGTH_OFFSET,
  FRAGMENT_TYPE_OFFSET,
  FragmentType,
  RECORD_PAYLOAD_BYTES_MAX,
} from './format.js';
import { logCrcSeed, payloadCrc } from './log-crc.js';
import type { WalPosition } from './wal-position.js';

/**
 * Where encoded records get their memory: most appends are one small record (a single put),
 * and a slice of a shared chunk costs far less than an `ArrayBuffer` of its own. Slices are
 * never reused, so a file system that keeps the written array keeps it intact.
 */
const recordBytes = new ChunkAllocator(64 * 1024);

/** Encoded records: `bytes` go at `fileOffset`; `endOffset` is the file size after them. */
export interface EncodedRecords {
  bytes: Uint8Array;
  positions: WalPosition[];
  endOffset: number;
}

/**
 * Frames `payloads` as records that start at byte `fileOffset` of log `logNumber`. The result
 * includes any zero trailer needed before the first record. Deterministic: the same input
 * always yields the same bytes.
 */
export function encodeRecords(
  payloads: readonly Uint8Array[],
  options: { logNumber: number; fileOffset: number },
): EncodedRecords {
  const fileOffset = options.fileOffset;
  assert(Number.isSafeInteger(fileOffset) && fileOffset >= 0, 'file offset is a safe integer');
  let endOffset = fileOffset;
  for (let i = 0; i < payloads.length; i++) {
    const payload = payloads[i] as Uint8Array;
    if (payload.length > RECORD_PAYLOAD_BYTES_MAX) {
      throw new InvalidArgumentError('wal record', `${payload.length} bytes exceeds ${RECORD_PAYLOAD_BYTES_MAX}`);
    }
    endOffset = frameRecord(payload, endOffset, undefined, fileOffset, 0);
  }
  const bytes = recordBytes.take(endOffset - fileOffset);
  const positions: WalPosition[] = [];
  const seed = logCrcSeed(options.logNumber);
  let at = fileOffset;
  for (let i = 0; i < payloads.length; i++) {
    const offset = recordStart(at);
    at = frameRecord(payloads[i] as Uint8Array, at, bytes, fileOffset, seed);
    positions.push({ offset, length: at - offset });
  }
  assert(at === endOffset, 'measured and written lengths agree');
  return { bytes, positions, endOffset };
}

/** Where a record placed at `at` really starts: past the trailer when the block has no room for a header. */
function recordStart(at: number): number {
  const blockLeft = BLOCK_SIZE_BYTES - (at % BLOCK_SIZE_BYTES);
  return blockLeft < FRAGMENT_HEADER_BYTES ? at + blockLeft : at;
}

/**
 * Lays out one record from file offset `at` and returns the offset after it, writing it into
 * `target` (which starts at file offset `targetStart`) with CRCs continued from `seed`; without
 * a target it only measures. The trailer of a block is left as the buffer's zeros. Plain
 * arguments, no option objects: this runs for every record of every write.
 */
function frameRecord(payload: Uint8Array, at: number, target: Uint8Array | undefined, targetStart: number, seed: number): number {
  let done = 0;
  const fragmentsMax = Math.ceil(payload.length / (BLOCK_SIZE_BYTES - FRAGMENT_HEADER_BYTES)) + 2;
  for (let fragment = 0; fragment <= fragmentsMax; fragment++) {
    at = recordStart(at);
    const room = BLOCK_SIZE_BYTES - (at % BLOCK_SIZE_BYTES) - FRAGMENT_HEADER_BYTES;
    assert(room >= 0, 'a fragment header fits in the block');
    const take = Math.min(room, payload.length - done);
    const isLast = done + take === payload.length;
    if (target !== undefined) {
      // A record in one fragment (most are) needs no view of its payload.
      const part = take === payload.length ? payload : payload.subarray(done, done + take);
      writeFragment(target, at - targetStart, fragmentType(fragment === 0, isLast), part, seed);
    }
    at += FRAGMENT_HEADER_BYTES + take;
    done += take;
    if (isLast) return at;
  }
  throw new AssertionError('a record needs a bounded number of fragments');
}

function fragmentType(isFirst: boolean, isLast: boolean): FragmentType {
  if (isFirst) return isLast ? FragmentType.Full : FragmentType.First;
  return isLast ? FragmentType.Last : FragmentType.Middle;
}

/** Writes one fragment (header and payload) into `target` at `headerOffset`. */
export function encodeFragment(
  target: Uint8Array,
  fragment: { headerOffset: number; type: FragmentType; payload: Uint8Array; seed: number },
): void {
  writeFragment(target, fragment.headerOffset, fragment.type, fragment.payload, fragment.seed);
}

function writeFragment(target: Uint8Array, headerOffset: number, type: FragmentType, payload: Uint8Array, seed: number): void {
  // Little-endian fields written byte by byte: no DataView per fragment.
  target[headerOffset + FRAGMENT_LENGTH_OFFSET] = payload.length & 0xff;
  target[headerOffset + FRAGMENT_LENGTH_OFFSET + 1] = payload.length >>> 8;
  target[headerOffset + FRAGMENT_TYPE_OFFSET] = type;
  target.set(payload, headerOffset + FRAGMENT_HEADER_BYTES);
  const crc = maskCrc(payloadCrc(seed, type, payload));
  setUint32LE(target, headerOffset + FRAGMENT_CRC_OFFSET, crc);
}
