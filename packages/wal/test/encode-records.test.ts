import { concatBytes, crc32, equalBytes, isKvError, maskCrc, viewOf, writeUint64 } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BLOCK_SIZE_BYTES, FRAGMENT_HEADER_BYTES, FragmentType, RECORD_PAYLOAD_BYTES_MAX, encodeRecords } from '../src/index.js';
import { patterned } from './helpers.js';

interface FragmentView {
  offset: number;
  crc: number;
  length: number;
  type: number;
}

/** Reads the fragment header at buffer offset `at`. */
function fragmentAt(bytes: Uint8Array, at: number): FragmentView {
  const view = viewOf(bytes);
  return { offset: at, crc: view.getUint32(at, true), length: view.getUint16(at + 4, true), type: view.getUint8(at + 6) };
}

/** The checksum FORMAT.md specifies, computed independently of the encoder. */
function expectedCrc(logNumber: number, type: number, payload: Uint8Array): number {
  const prefix = new Uint8Array(9);
  writeUint64(viewOf(prefix), 0, logNumber);
  prefix[8] = type;
  return maskCrc(crc32(payload, crc32(prefix)));
}

describe('encodeRecords', () => {
  test('frames a small record as one FULL fragment with the documented checksum', () => {
    const payload = new TextEncoder().encode('hello');
    const encoded = encodeRecords([payload], { logNumber: 42, fileOffset: 39 });
    expect(encoded.bytes.length).toBe(FRAGMENT_HEADER_BYTES + 5);
    expect(encoded.positions).toEqual([{ offset: 39, length: 12 }]);
    expect(encoded.endOffset).toBe(51);
    const fragment = fragmentAt(encoded.bytes, 0);
    expect(fragment).toEqual({ offset: 0, crc: expectedCrc(42, FragmentType.Full, payload), length: 5, type: FragmentType.Full });
    expect(encoded.bytes.subarray(7)).toEqual(payload);
  });

  test('encodes an empty record as a bare FULL header', () => {
    const encoded = encodeRecords([new Uint8Array(0)], { logNumber: 1, fileOffset: 100 });
    expect(encoded.positions).toEqual([{ offset: 100, length: 7 }]);
    expect(fragmentAt(encoded.bytes, 0)).toMatchObject({ length: 0, type: FragmentType.Full });
  });

  test('encodes no records as no bytes', () => {
    expect(encodeRecords([], { logNumber: 1, fileOffset: 500 })).toEqual({ bytes: new Uint8Array(0), positions: [], endOffset: 500 });
  });

  test.each([0, 1, 2, 3, 4, 5, 6])('pads a %i-byte block trailer with zeros and starts the record in the next block', (trailer) => {
    const fileOffset = 3 * BLOCK_SIZE_BYTES - trailer;
    const encoded = encodeRecords([patterned(10, 1)], { logNumber: 5, fileOffset });
    expect(Array.from(encoded.bytes.subarray(0, trailer))).toEqual(new Array(trailer).fill(0));
    expect(encoded.positions).toEqual([{ offset: 3 * BLOCK_SIZE_BYTES, length: 17 }]);
    expect(fragmentAt(encoded.bytes, trailer)).toMatchObject({ length: 10, type: FragmentType.Full });
  });

  test('uses exactly seven free bytes for an empty FIRST fragment', () => {
    const fileOffset = BLOCK_SIZE_BYTES - 7;
    const encoded = encodeRecords([patterned(3, 1)], { logNumber: 5, fileOffset });
    expect(fragmentAt(encoded.bytes, 0)).toMatchObject({ length: 0, type: FragmentType.First });
    expect(fragmentAt(encoded.bytes, 7)).toMatchObject({ length: 3, type: FragmentType.Last });
    expect(encoded.positions).toEqual([{ offset: fileOffset, length: 17 }]);
  });

  test('splits a record over three blocks as FIRST, MIDDLE, LAST', () => {
    const room = BLOCK_SIZE_BYTES - FRAGMENT_HEADER_BYTES;
    const payload = patterned(room * 2 + 100 - 39, 3);
    const encoded = encodeRecords([payload], { logNumber: 9, fileOffset: 39 });
    const first = fragmentAt(encoded.bytes, 0);
    const middle = fragmentAt(encoded.bytes, BLOCK_SIZE_BYTES - 39);
    const last = fragmentAt(encoded.bytes, 2 * BLOCK_SIZE_BYTES - 39);
    expect([first.type, middle.type, last.type]).toEqual([FragmentType.First, FragmentType.Middle, FragmentType.Last]);
    expect(first.length + middle.length + last.length).toBe(payload.length);
    expect(middle.length).toBe(room);
    expect(middle.crc).toBe(expectedCrc(9, FragmentType.Middle, payload.subarray(first.length, first.length + room)));
  });

  test('starts the next record at the block boundary when a record fills its block exactly', () => {
    const payloads = [patterned(BLOCK_SIZE_BYTES - 39 - 7, 1), patterned(4, 2)];
    const encoded = encodeRecords(payloads, { logNumber: 2, fileOffset: 39 });
    expect(encoded.positions).toEqual([
      { offset: 39, length: BLOCK_SIZE_BYTES - 39 },
      { offset: BLOCK_SIZE_BYTES, length: 11 },
    ]);
  });

  test('yields identical bytes for identical input', () => {
    const payloads = [patterned(70_000, 4), patterned(0, 0), patterned(9, 5)];
    const a = encodeRecords(payloads, { logNumber: 77, fileOffset: 1234 });
    const b = encodeRecords(payloads, { logNumber: 77, fileOffset: 1234 });
    expect(equalBytes(a.bytes, b.bytes)).toBe(true);
  });

  test('makes the same payload encode differently in another log', () => {
    const payload = patterned(20, 1);
    const a = encodeRecords([payload], { logNumber: 1, fileOffset: 39 });
    const b = encodeRecords([payload], { logNumber: 2, fileOffset: 39 });
    expect(a.bytes.subarray(0, 4)).not.toEqual(b.bytes.subarray(0, 4));
    expect(a.bytes.subarray(4)).toEqual(b.bytes.subarray(4));
  });

  test('rejects a record larger than the limit with INVALID_ARGUMENT', () => {
    const tooLarge = new Uint8Array(RECORD_PAYLOAD_BYTES_MAX + 1);
    let caught: unknown;
    try {
      encodeRecords([tooLarge], { logNumber: 1, fileOffset: 39 });
    } catch (error) {
      caught = error;
    }
    expect(isKvError(caught, 'INVALID_ARGUMENT')).toBe(true);
  });

  test('lays out records contiguously with no header ever straddling a block', () => {
    // Goal: the layout rules hold for any start offset and record sizes.
    // Strategy: random start offsets (biased to the last bytes of a block) and record sizes
    // from empty to several blocks; walk the fragment chain of the encoded bytes.
    // Records of two logs are encoded alternately, so the writer's remembered per-log CRC
    // state changes between calls.
    // Invariants: each record starts where the previous ended, or after a zero trailer of at
    // most 6 bytes; fragment headers never cross a block boundary; every fragment carries the
    // checksum FORMAT.md specifies for its log; the positions cover all bytes up to
    // `endOffset`; payload bytes read back in order equal the input.
    const offsetArb = fc.oneof(
      fc.integer({ min: 0, max: 4 * BLOCK_SIZE_BYTES }),
      fc.integer({ min: 0, max: 8 }).map((back) => 2 * BLOCK_SIZE_BYTES - back),
    );
    const sizesArb = fc.array(fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 3 * BLOCK_SIZE_BYTES })), { maxLength: 8 });
    fc.assert(
      fc.property(offsetArb, sizesArb, fc.integer({ min: 0, max: 2 ** 40 }), (fileOffset, sizes, otherLog) => {
        const payloads = sizes.map((size, i) => patterned(size, i));
        const other = encodeRecords(payloads, { logNumber: otherLog, fileOffset });
        const encoded = encodeRecords(payloads, { logNumber: 3, fileOffset });
        payloads.forEach((payload, i) => {
          const position = other.positions[i];
          if (position === undefined) throw new Error('missing position');
          expect(equalBytes(readBack(other.bytes, { fileOffset, position, logNumber: otherLog }), payload)).toBe(true);
        });
        let at = fileOffset;
        payloads.forEach((payload, i) => {
          const position = encoded.positions[i];
          if (position === undefined) throw new Error('missing position');
          const gap = position.offset - at;
          expect(gap === 0 || (gap < 7 && position.offset % BLOCK_SIZE_BYTES === 0)).toBe(true);
          expect(encoded.bytes.subarray(at - fileOffset, position.offset - fileOffset).every((b) => b === 0)).toBe(true);
          expect(equalBytes(readBack(encoded.bytes, { fileOffset, position, logNumber: 3 }), payload)).toBe(true);
          at = position.offset + position.length;
        });
        expect(at).toBe(encoded.endOffset);
        expect(encoded.bytes.length).toBe(encoded.endOffset - fileOffset);
      }),
      { numRuns: 200 },
    );
  });
});

/** Concatenates the payloads of the fragments of the record at `position`, checking header placement and checksums. */
function readBack(bytes: Uint8Array, options: { fileOffset: number; position: { offset: number; length: number }; logNumber: number }): Uint8Array {
  const parts: Uint8Array[] = [];
  let at = options.position.offset;
  const end = options.position.offset + options.position.length;
  while (at < end) {
    const blockLeft = BLOCK_SIZE_BYTES - (at % BLOCK_SIZE_BYTES);
    if (blockLeft < FRAGMENT_HEADER_BYTES) {
      at += blockLeft;
      continue;
    }
    const fragment = fragmentAt(bytes, at - options.fileOffset);
    if (FRAGMENT_HEADER_BYTES + fragment.length > blockLeft) throw new Error(`fragment at ${at} crosses its block`);
    const start = at - options.fileOffset + FRAGMENT_HEADER_BYTES;
    const part = bytes.subarray(start, start + fragment.length);
    if (fragment.crc !== expectedCrc(options.logNumber, fragment.type, part)) throw new Error(`fragment at ${at} has a wrong checksum`);
    parts.push(part);
    at += FRAGMENT_HEADER_BYTES + fragment.length;
  }
  if (at !== end) throw new Error('fragments do not end at the record end');
  return concatBytes(parts);
}
