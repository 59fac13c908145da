import { equalBytes, isKvError } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BLOCK_SIZE_BYTES, HEADER_RECORD_BYTES_V1 } from '../src/index.js';
import type { WalPosition, WalRecord, WalRecoveryMode } from '../src/index.js';
import { flipByte, isSubsequence, logBytes, patterned, readLogOrError, replaceLog, truncateTo, writeLog } from './helpers.js';
import type { ReadOutcome } from './helpers.js';

const MODES: readonly WalRecoveryMode[] = ['tolerateCorruptedTail', 'absoluteConsistency', 'pointInTime', 'skipCorrupted'];

const sizeArb = fc.oneof(
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 300 }) },
  { weight: 1, arbitrary: fc.integer({ min: 10_000, max: 70_000 }) },
);
const sizesArb = fc.array(sizeArb, { minLength: 1, maxLength: 8 });

interface Original {
  payload: Uint8Array;
  position: WalPosition;
}

async function buildLog(sizes: readonly number[]): Promise<{ log: Awaited<ReturnType<typeof writeLog>>; originals: Original[] }> {
  const payloads = sizes.map((size, i) => patterned(size, i + 1));
  const log = await writeLog([payloads]);
  const originals = payloads.map((payload, i) => ({ payload, position: log.positions[i] ?? { offset: -1, length: 0 } }));
  return { log, originals };
}

function sameRecord(record: WalRecord, original: Original): boolean {
  return equalBytes(record.payload, original.payload) && record.position.offset === original.position.offset
    && record.position.length === original.position.length;
}

function isPrefix(records: readonly WalRecord[], originals: readonly Original[]): boolean {
  return records.length <= originals.length && records.every((record, i) => sameRecord(record, originals[i] as Original));
}

function isCorruption(outcome: ReadOutcome | { error: unknown }): boolean {
  return 'error' in outcome && isKvError(outcome.error, 'CORRUPTION');
}

function outcomeOf(outcome: ReadOutcome | { error: unknown }): ReadOutcome {
  if ('error' in outcome) throw outcome.error;
  return outcome;
}

/** Interesting byte offsets of a log: record starts and ends, block boundaries, each +-8. */
function offsetArb(fileSize: number, originals: readonly Original[]): fc.Arbitrary<number> {
  const marks = [0, HEADER_RECORD_BYTES_V1, fileSize];
  for (const original of originals) marks.push(original.position.offset, original.position.offset + original.position.length);
  for (let block = BLOCK_SIZE_BYTES; block < fileSize; block += BLOCK_SIZE_BYTES) marks.push(block);
  const near = fc.tuple(fc.constantFrom(...marks), fc.integer({ min: -8, max: 8 })).map(([mark, delta]) => mark + delta);
  return fc.oneof(fc.integer({ min: 0, max: fileSize }), near).map((offset) => Math.max(0, Math.min(fileSize, offset)));
}

describe('truncation', () => {
  test('recovers exactly the records that fit before the cut, never a partial one', async () => {
    // Goal: a torn or truncated tail never loses a complete record and never yields a partial one.
    // Strategy: a log of 1..8 records (some spanning blocks), cut to any length, biased to record
    // and block boundaries +-8 bytes; read in every mode.
    // Invariants: tolerate and pointInTime never throw and return exactly the records that end at
    // or before the cut; absoluteConsistency returns that prefix or throws CORRUPTION, and
    // succeeds when the cut is at the end of a record; skipCorrupted returns the same prefix.
    const caseArb = sizesArb.chain((sizes) => fc.tuple(fc.constant(sizes), fc.integer({ min: 0, max: 1_000_000 }), fc.nat()));
    await fc.assert(
      fc.asyncProperty(caseArb, async ([sizes, pick]) => {
        const { log, originals } = await buildLog(sizes);
        const cut = fc.sample(offsetArb(log.sizeBytes, originals), { numRuns: 1, seed: pick })[0] ?? 0;
        await truncateTo(log.vfs, cut);
        const kept = originals.filter((original) => original.position.offset + original.position.length <= cut);
        for (const mode of MODES) {
          const outcome = await readLogOrError(log.vfs, { mode });
          if (mode === 'absoluteConsistency' && 'error' in outcome) {
            expect(isCorruption(outcome)).toBe(true);
            expect(cut === HEADER_RECORD_BYTES_V1 || cut === 0 || kept.some((o) => o.position.offset + o.position.length === cut)).toBe(false);
            continue;
          }
          const { records, report } = outcomeOf(outcome);
          expect(records.length).toBe(kept.length);
          expect(isPrefix(records, originals)).toBe(true);
          expect(report.records).toBe(kept.length);
        }
      }),
      { numRuns: 150 },
    );
  });

  test.each([1, 7, 20, 38])('treats a header torn to %i bytes as an empty log, except in absoluteConsistency', async (size) => {
    const { log } = await buildLog([5]);
    await truncateTo(log.vfs, size);
    const tolerated = outcomeOf(await readLogOrError(log.vfs));
    expect(tolerated.records).toEqual([]);
    expect(tolerated.report).toMatchObject({ stoppedEarly: true, droppedBytes: size, lastGoodOffset: 0 });
    expect(isCorruption(await readLogOrError(log.vfs, { mode: 'absoluteConsistency' }))).toBe(true);
  });

  test('reads an empty file as an empty log in every mode', async () => {
    const { log } = await buildLog([5]);
    await truncateTo(log.vfs, 0);
    for (const mode of MODES) {
      const { records, report } = outcomeOf(await readLogOrError(log.vfs, { mode }));
      expect(records).toEqual([]);
      expect(report).toEqual({ records: 0, lastGoodOffset: 0, droppedBytes: 0, corruptions: [], stoppedEarly: false });
    }
  });

  test('drops a record torn after its first fragment and reports it', async () => {
    const { log, originals } = await buildLog([10, 50_000]);
    const torn = originals[1]?.position.offset ?? 0;
    await truncateTo(log.vfs, BLOCK_SIZE_BYTES + 100);
    const { records, report } = outcomeOf(await readLogOrError(log.vfs, { mode: 'pointInTime' }));
    expect(records.length).toBe(1);
    expect(report.corruptions).toEqual([{ offset: torn, detail: expect.stringContaining('truncated fragment') }]);
    expect(report).toMatchObject({ stoppedEarly: true, droppedBytes: BLOCK_SIZE_BYTES + 100 - torn, lastGoodOffset: torn });
  });
});

describe('bit flips', () => {
  test('never accepts a flipped byte anywhere in the file', async () => {
    // Goal: no single damaged byte is ever silently accepted or returned as data.
    // Strategy: a log of 1..8 records, one byte XORed with a non-zero mask (single bits and
    // arbitrary patterns) at any offset, biased to headers, record ends and block boundaries;
    // read in every mode.
    // Invariants: absoluteConsistency throws CORRUPTION; the other modes either throw
    // CORRUPTION or return only original records, byte-identical and in order (a prefix for
    // tolerate and pointInTime), with at least one record missing or one corruption reported.
    const maskArb = fc.oneof(fc.integer({ min: 0, max: 7 }).map((bit) => 1 << bit), fc.integer({ min: 1, max: 255 }));
    const caseArb = sizesArb.chain((sizes) => fc.tuple(fc.constant(sizes), fc.nat(), maskArb));
    await fc.assert(
      fc.asyncProperty(caseArb, async ([sizes, pick, mask]) => {
        const { log, originals } = await buildLog(sizes);
        const offset = Math.min(log.sizeBytes - 1, fc.sample(offsetArb(log.sizeBytes, originals), { numRuns: 1, seed: pick })[0] ?? 0);
        await flipByte(log.vfs, offset, mask);
        for (const mode of MODES) {
          const outcome = await readLogOrError(log.vfs, { mode });
          if ('error' in outcome || mode === 'absoluteConsistency') {
            expect(isCorruption(outcome)).toBe(true);
            continue;
          }
          const { records, report } = outcome;
          const inOrder = mode === 'skipCorrupted' ? isSubsequence(records, originals, sameRecord) : isPrefix(records, originals);
          expect(inOrder).toBe(true);
          expect(report.corruptions.length).toBeGreaterThan(0);
          expect(records.length).toBeLessThan(originals.length);
        }
      }),
      { numRuns: 250 },
    );
  });
});

describe('damage in the middle of the log', () => {
  async function logWithDamagedMiddle(): Promise<{ log: Awaited<ReturnType<typeof writeLog>>; originals: Original[] }> {
    const built = await buildLog([100, 100, 100]);
    const middle = built.originals[1]?.position.offset ?? 0;
    await flipByte(built.log.vfs, middle + 7 + 50, 0x01);
    return built;
  }

  test('is CORRUPTION in tolerateCorruptedTail, naming the file and offset', async () => {
    const { log, originals } = await logWithDamagedMiddle();
    const outcome = await readLogOrError(log.vfs);
    expect(isCorruption(outcome)).toBe(true);
    const message = 'error' in outcome && outcome.error instanceof Error ? outcome.error.message : '';
    expect(message).toContain('000007.log');
    expect(message).toContain(`offset ${originals[1]?.position.offset}`);
  });

  test('is CORRUPTION in absoluteConsistency', async () => {
    const { log } = await logWithDamagedMiddle();
    expect(isCorruption(await readLogOrError(log.vfs, { mode: 'absoluteConsistency' }))).toBe(true);
  });

  test('ends the log before it in pointInTime', async () => {
    const { log, originals } = await logWithDamagedMiddle();
    const { records, report } = outcomeOf(await readLogOrError(log.vfs, { mode: 'pointInTime' }));
    expect(records.map((record) => record.position)).toEqual([originals[0]?.position]);
    expect(report).toMatchObject({ records: 1, stoppedEarly: true, lastGoodOffset: originals[1]?.position.offset });
  });

  test('skips the damaged block and reports it in skipCorrupted', async () => {
    const built = await buildLog([100, 40_000, 100, 100]);
    const second = built.originals[1]?.position.offset ?? 0;
    await flipByte(built.log.vfs, second + 10, 0x80);
    const { records, report } = outcomeOf(await readLogOrError(built.log.vfs, { mode: 'skipCorrupted' }));
    // The damaged FIRST fragment costs the rest of block 0; the orphaned LAST fragment of the
    // same record is skipped too; the records after it come back.
    expect(records.map((record) => record.position)).toEqual([0, 2, 3].map((i) => built.originals[i]?.position));
    expect(report.corruptions.map((corruption) => corruption.offset)).toEqual([second, BLOCK_SIZE_BYTES]);
    expect(report.stoppedEarly).toBe(false);
  });
});

describe('tails', () => {
  test.each<WalRecoveryMode>(['tolerateCorruptedTail', 'absoluteConsistency', 'pointInTime', 'skipCorrupted'])(
    'reads zeros from a record boundary to the end of the file (preallocated space) as the clean end of the log in %s',
    async (mode) => {
      const { log, originals } = await buildLog([100, 200]);
      const file = await log.vfs.open('/db/000007.log', { write: true });
      await file.truncate(log.sizeBytes + 2 * BLOCK_SIZE_BYTES);
      await file.close();
      const { records, report } = outcomeOf(await readLogOrError(log.vfs, { mode }));
      expect(records.every((record, i) => sameRecord(record, originals[i] as Original))).toBe(true);
      expect(records.length).toBe(originals.length);
      expect(report).toEqual({ records: 2, lastGoodOffset: log.sizeBytes, droppedBytes: 0, corruptions: [], stoppedEarly: false });
    },
  );

  test('known limit: a synced last record that reads back as zeros ends the log in every mode, as a cut file would', async () => {
    // Pins down the price of reading preallocated space as the end of the log (FORMAT.md,
    // "Preallocated space"): absoluteConsistency cannot tell these zeros from space never used.
    const { log } = await buildLog([100, 200]);
    const bytes = await logBytes(log.vfs);
    bytes.fill(0, log.positions[1]?.offset);
    await replaceLog(log.vfs, bytes);
    for (const mode of ['tolerateCorruptedTail', 'absoluteConsistency'] as const) {
      const { records, report } = outcomeOf(await readLogOrError(log.vfs, { mode }));
      expect(records.length).toBe(1);
      expect(report.corruptions).toEqual([]);
    }
  });

  test('a zero-filled header followed by any non-zero byte is still damage: the log ends there, except in absoluteConsistency', async () => {
    const { log, originals } = await buildLog([100, 200]);
    const file = await log.vfs.open('/db/000007.log', { write: true });
    await file.write({ data: new Uint8Array([1]), position: log.sizeBytes + BLOCK_SIZE_BYTES });
    await file.close();
    const { records, report } = outcomeOf(await readLogOrError(log.vfs));
    expect(records.length).toBe(originals.length);
    expect(report).toMatchObject({ stoppedEarly: true, droppedBytes: BLOCK_SIZE_BYTES + 1, lastGoodOffset: log.sizeBytes });
    expect(report.corruptions[0]?.detail).toContain('zero-filled');
    expect(isCorruption(await readLogOrError(log.vfs, { mode: 'absoluteConsistency' }))).toBe(true);
  });

  test('beside a live writer, zeros at a record boundary end the log whatever follows, in every mode', async () => {
    // A read-only reader beside a writer: records after the zeros may have been written after
    // the reader passed them, so reading on could show a state no prefix of the log ever was.
    const { log, originals } = await buildLog([100, 200]);
    const file = await log.vfs.open('/db/000007.log', { write: true });
    await file.write({ data: new Uint8Array([1]), position: log.sizeBytes + BLOCK_SIZE_BYTES });
    await file.close();
    for (const mode of MODES) {
      const { records, report } = outcomeOf(await readLogOrError(log.vfs, { mode, liveWriter: true }));
      expect(records.length, mode).toBe(originals.length);
      expect(report, mode).toMatchObject({ stoppedEarly: false, corruptions: [], lastGoodOffset: log.sizeBytes });
    }
    // Damage that is not zeros at a boundary is handled by the mode as before.
    await flipByte(log.vfs, (originals[1]?.position.offset ?? 0) + 10, 0x20);
    expect(isCorruption(await readLogOrError(log.vfs, { mode: 'absoluteConsistency', liveWriter: true }))).toBe(true);
  });

  test('zeros that interrupt a record spanning blocks are damage, even when they run to the end of the file', async () => {
    const { log, originals } = await buildLog([100, 2 * BLOCK_SIZE_BYTES]);
    const second = originals[1]?.position.offset ?? 0;
    const cut = (Math.floor(second / BLOCK_SIZE_BYTES) + 1) * BLOCK_SIZE_BYTES;
    const file = await log.vfs.open('/db/000007.log', { write: true });
    await file.truncate(cut);
    await file.truncate(cut + BLOCK_SIZE_BYTES);
    await file.close();
    const { records, report } = outcomeOf(await readLogOrError(log.vfs));
    expect(records.length).toBe(1);
    expect(report).toMatchObject({ stoppedEarly: true, lastGoodOffset: second });
    expect(isCorruption(await readLogOrError(log.vfs, { mode: 'absoluteConsistency' }))).toBe(true);
  });

  test('ignores stale bytes of another log number after the tail', async () => {
    // A recycled file: log 7's records end where an old log 8 (same layout) still has records.
    const stale = await writeLog([[patterned(100, 1), patterned(100, 2), patterned(100, 3), patterned(100, 4)]], 8);
    const current = await writeLog([[patterned(100, 1)]]);
    const bytes = await logBytes(stale.vfs);
    bytes.set(await logBytes(current.vfs), 0);
    const recycled = await writeLog([]);
    const file = await recycled.vfs.open('/db/000007.log', { write: true });
    await file.write({ data: bytes, position: 0 });
    await file.close();
    const { records, report } = outcomeOf(await readLogOrError(recycled.vfs));
    expect(records.length).toBe(1);
    expect(report.stoppedEarly).toBe(true);
    expect(report.corruptions[0]?.offset).toBe(current.sizeBytes);
  });
});
