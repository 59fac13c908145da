/**
 * The keys and values every engine stores, generated from the seed so that each child
 * produces byte-identical data without any file passing between processes.
 *
 * Keys are fixed-width zero-padded decimals, as in db_bench. Present key i is the number 2i
 * and missing key i is 2i+1, so a missing key sorts between present ones (readmissing cannot
 * be answered by a range check alone). Values are printable ASCII and about half
 * compressible (each piece is a random half repeated), like db_bench's default
 * `compression_ratio` of 0.5; ASCII keeps string-only engines byte-identical too.
 */
import { SeededRandom } from './rng.js';

const SOURCE_BYTES_MIN = 1024 * 1024;
const PRINTABLE_FIRST = 0x20;
const PRINTABLE_COUNT = 95;

export class Dataset {
  readonly keyBytes: number;
  readonly valueBytes: number;
  private readonly source: Buffer;

  constructor(options: { keyBytes: number; valueBytes: number; seed: number }) {
    this.keyBytes = options.keyBytes;
    this.valueBytes = options.valueBytes;
    this.source = buildValueSource(Math.max(SOURCE_BYTES_MIN, 4 * options.valueBytes), options.seed);
  }

  /** The key of record `index` (present in the data set). A fresh buffer the engine may keep. */
  key(index: number): Buffer {
    return this.formatKey(2 * index);
  }

  /** A key that sorts between present keys and is never written. */
  missingKey(index: number): Buffer {
    return this.formatKey(2 * index + 1);
  }

  /** The value of record `index` as written by pass `version` (0 = fill, 1+ = overwrites). */
  value(index: number, version: number): Buffer {
    const span = this.source.length - this.valueBytes;
    const offset = (Math.imul(index, 0x9e3779b1) ^ Math.imul(version + 1, 0x85ebca6b)) >>> 0;
    const start = offset % span;
    return Buffer.from(this.source.subarray(start, start + this.valueBytes));
  }

  /** Bytes the user hands the engine for one record (key plus value). */
  get recordBytes(): number {
    return this.keyBytes + this.valueBytes;
  }

  /** Zero-padded decimal, written digit by digit: key generation runs inside timed loops, so
   *  it avoids the string round trip. */
  private formatKey(number: number): Buffer {
    const key = Buffer.alloc(this.keyBytes);
    let rest = number;
    for (let i = this.keyBytes - 1; i >= 0; i--) {
      key[i] = 0x30 + (rest % 10);
      rest = Math.floor(rest / 10);
    }
    if (rest !== 0) throw new RangeError(`key ${number} does not fit in ${this.keyBytes} bytes`);
    return key;
  }
}

/** Pieces of 100 bytes, each a random printable half followed by the same half again. */
function buildValueSource(sizeBytes: number, seed: number): Buffer {
  const random = new SeededRandom(seed ^ 0x5eed);
  const source = Buffer.alloc(sizeBytes);
  const pieceBytes = 100;
  const halfBytes = pieceBytes / 2;
  for (let piece = 0; piece < sizeBytes; piece += pieceBytes) {
    for (let i = 0; i < halfBytes && piece + i < sizeBytes; i++) {
      const byte = PRINTABLE_FIRST + random.nextBelow(PRINTABLE_COUNT);
      source[piece + i] = byte;
      if (piece + halfBytes + i < sizeBytes) source[piece + halfBytes + i] = byte;
    }
  }
  return source;
}
