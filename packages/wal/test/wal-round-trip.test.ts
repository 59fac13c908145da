import { equalBytes } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BLOCK_SIZE_BYTES, HEADER_RECORD_BYTES_V1 } from '../src/index.js';
import { logBytes, patterned, readLog, writeLog } from './helpers.js';

/** Record sizes biased towards the interesting ones: tiny, a block or so, and up to 100 KiB. */
const sizeArb = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 64 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 4096 }) },
  { weight: 1, arbitrary: fc.integer({ min: 30_000, max: 100 * 1024 }) },
  { weight: 1, arbitrary: fc.constantFrom(BLOCK_SIZE_BYTES - 8, BLOCK_SIZE_BYTES - 7, BLOCK_SIZE_BYTES - 6, 2 * (BLOCK_SIZE_BYTES - 7)) },
);

/**
 * A log: a first record sized so that `trailer` bytes remain in block 0 after it (0..8, so
 * exact fits and the 0..6-byte trailers all occur), then batches of random sizes.
 */
const logArb = fc.record({
  trailer: fc.integer({ min: 0, max: 8 }),
  batches: fc.array(fc.array(sizeArb, { maxLength: 6 }), { minLength: 1, maxLength: 5 }),
  seed: fc.integer({ min: 0, max: 255 }),
});

describe('round trip through WalWriter and WalReader', () => {
  test('returns every record with its position, for any sizes and batching', async () => {
    // Goal: whatever the writer writes, the reader returns, byte for byte, at the same positions.
    // Strategy: a first record that leaves 0..8 bytes in the first block (covering every trailer
    // width and the exact fit), then 1..5 appendSync batches of 0..6 records of 0..100 KiB,
    // some sized to end exactly at or just around a block boundary. Read in every mode.
    // Invariants: records equal the payloads in order; positions equal those appendSync
    // returned; the report is clean; lastGoodOffset and sizeBytes equal the file size.
    await fc.assert(
      fc.asyncProperty(logArb, async ({ trailer, batches, seed }) => {
        const firstSize = BLOCK_SIZE_BYTES - HEADER_RECORD_BYTES_V1 - 7 - trailer;
        let counter = seed;
        const payloadBatches = [[patterned(firstSize, counter++)], ...batches.map((sizes) => sizes.map((size) => patterned(size, counter++)))];
        const payloads = payloadBatches.flat();
        const log = await writeLog(payloadBatches);
        expect(log.positions[0]).toEqual({ offset: HEADER_RECORD_BYTES_V1, length: BLOCK_SIZE_BYTES - HEADER_RECORD_BYTES_V1 - trailer });
        const fileSize = (await logBytes(log.vfs)).length;
        expect(log.sizeBytes).toBe(fileSize);
        for (const mode of ['tolerateCorruptedTail', 'absoluteConsistency', 'pointInTime', 'skipCorrupted'] as const) {
          const { records, report } = await readLog(log.vfs, { mode });
          expect(records.length).toBe(payloads.length);
          records.forEach((record, i) => {
            expect(equalBytes(record.payload, payloads[i] ?? new Uint8Array(1))).toBe(true);
            expect(record.position).toEqual(log.positions[i]);
          });
          expect(report).toEqual({ records: payloads.length, lastGoodOffset: fileSize, droppedBytes: 0, corruptions: [], stoppedEarly: false });
        }
      }),
      { numRuns: 60 },
    );
  });

  test('returns payloads as fresh copies the caller owns', async () => {
    const payloads = [patterned(10, 1), patterned(50_000, 2)];
    const log = await writeLog([payloads]);
    const first = await readLog(log.vfs);
    for (const record of first.records) {
      expect(record.payload.byteOffset).toBe(0);
      expect(record.payload.buffer.byteLength).toBe(record.payload.length);
      record.payload.fill(0xee);
    }
    const second = await readLog(log.vfs);
    expect(second.records.map((record) => equalBytes(record.payload, payloads[second.records.indexOf(record)] ?? new Uint8Array(0)))).toEqual([true, true]);
  });

  test('reads a header-only log as empty and clean', async () => {
    const log = await writeLog([]);
    const { records, report } = await readLog(log.vfs, { mode: 'absoluteConsistency' });
    expect(records).toEqual([]);
    expect(report).toEqual({ records: 0, lastGoodOffset: HEADER_RECORD_BYTES_V1, droppedBytes: 0, corruptions: [], stoppedEarly: false });
  });
});
