/**
 * The keys and values every engine stores, generated from the seed so that each child
 * produces byte-identical data without any file passing between processes.
 *
 * Keys are fixed-width zero-padded decimals, as in db_bench. Present key i is the number 2i
 * and missing key i is 2i+1, so a missing key sorts between present ones (readmissing cannot
 * be answered by a range check alone). Values are printable ASCII and half compressible, as
 * db_bench's with its default `compression_ratio` of 0.5: every value is one whole piece of
 * a source of about 1 MiB, and a piece is a random printable run of half its length repeated
 * to fill it. ASCII keeps string-only engines byte-identical too.
 */
import { SeededRandom } from './rng.js';

const SOURCE_BYTES_MIN = 1024 * 1024;
const PIECES_MIN = 4;
const PRINTABLE_FIRST = 0x20;
const PRINTABLE_COUNT = 95;

export class Dataset {
  readonly keyBytes: number;
  readonly valueBytes: number;
  private readonly source: Buffer;
  private readonly pieceCount: number;

  constructor(options: { keyBytes: number; valueBytes: number; seed: number }) {
    this.keyBytes = options.keyBytes;
    this.valueBytes = options.valueBytes;
    this.pieceCount = Math.max(PIECES_MIN, Math.ceil(SOURCE_BYTES_MIN / Math.max(1, options.valueBytes)));
    this.source = buildValueSource(this.pieceCount, options.valueBytes, options.seed);
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
    const hash = (Math.imul(index, 0x9e3779b1) ^ Math.imul(version + 1, 0x85ebca6b)) >>> 0;
    const start = (hash % this.pieceCount) * this.valueBytes;
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

/**
 * `pieceCount` pieces of `pieceBytes` each. A piece is a random printable run of half its
 * length (at least one byte) repeated until the piece is full, as db_bench's
 * `CompressibleString` builds them.
 */
function buildValueSource(pieceCount: number, pieceBytes: number, seed: number): Buffer {
  const random = new SeededRandom(seed ^ 0x5eed);
  const source = Buffer.alloc(pieceCount * pieceBytes);
  const runBytes = Math.max(1, Math.floor(pieceBytes / 2));
  for (let piece = 0; piece < source.length; piece += pieceBytes) {
    for (let i = 0; i < pieceBytes; i++) {
      source[piece + i] = i < runBytes ? PRINTABLE_FIRST + random.nextBelow(PRINTABLE_COUNT) : (source[piece + (i % runBytes)] ?? 0);
    }
  }
  return source;
}
