import { equalBytes, isKvError } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { HEADER_RECORD_BYTES_V1, RECORD_PAYLOAD_BYTES_MAX, WalWriter } from '../src/index.js';
import { LOG_NUMBER, LOG_PATH, logBytes, patterned, readLog } from './helpers.js';

async function newWriter(preallocateBytes = 0): Promise<{ vfs: MemoryVfs; writer: WalWriter }> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db', { recursive: true });
  await vfs.syncDir('/');
  const writer = await WalWriter.create(vfs, LOG_PATH, { logNumber: LOG_NUMBER, preallocateBytes });
  return { vfs, writer };
}

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isKvError(error) ? error.code : 'not a KvError';
  }
  return undefined;
}

describe('WalWriter', () => {
  test('creates the file exclusively', async () => {
    const { vfs, writer } = await newWriter();
    await expect(WalWriter.create(vfs, LOG_PATH, { logNumber: LOG_NUMBER })).rejects.toMatchObject({ code: 'IO_ERROR', osCode: 'EEXIST' });
    expect(writer.sizeBytes).toBe(HEADER_RECORD_BYTES_V1);
    expect(writer.path).toBe(LOG_PATH);
    expect(writer.logNumber).toBe(LOG_NUMBER);
    await writer.close();
  });

  test('removes a half-made file when creation fails, so a retry can succeed', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('/db', { recursive: true });
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO' });
    await expect(WalWriter.create(vfs, LOG_PATH, { logNumber: LOG_NUMBER })).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect(await vfs.stat(LOG_PATH)).toBeUndefined();
    const writer = await WalWriter.create(vfs, LOG_PATH, { logNumber: LOG_NUMBER });
    await writer.close();
  });

  test('makes the new file and its header durable before it returns', async () => {
    const { vfs, writer } = await newWriter();
    const image = vfs.crashImage({ mode: 'power-loss' });
    expect((await logBytes(image)).length).toBe(HEADER_RECORD_BYTES_V1);
    const { records, report } = await readLog(image, { mode: 'absoluteConsistency' });
    expect(records).toEqual([]);
    expect(report.lastGoodOffset).toBe(HEADER_RECORD_BYTES_V1);
    await writer.close();
  });

  test('issues one write per appendSync and tracks the size', async () => {
    const { vfs, writer } = await newWriter();
    let writes = 0;
    const stop = vfs.onOperation((operation) => {
      if (operation.kind === 'write') writes++;
    });
    const positions = writer.appendSync([patterned(10, 1), patterned(100_000, 2), patterned(0, 3)]);
    stop();
    expect(writes).toBe(1);
    expect(positions[0]).toEqual({ offset: HEADER_RECORD_BYTES_V1, length: 17 });
    expect(writer.sizeBytes).toBe((await logBytes(vfs)).length);
    await writer.close();
  });

  test('keeps appended records across a process kill, and across power loss only after sync', async () => {
    const { vfs, writer } = await newWriter();
    writer.appendSync([patterned(10, 1)]);
    await writer.sync();
    writer.appendSync([patterned(10, 2)]);
    expect((await readLog(vfs.crashImage({ mode: 'process-kill' }))).records.length).toBe(2);
    expect((await readLog(vfs.crashImage({ mode: 'power-loss' }))).records.length).toBe(1);
    await writer.close();
  });

  test('recovers every synced record and a prefix of the rest after a torn crash', async () => {
    // Goal: a power loss in the middle of write-back loses only unsynced records, in prefix order.
    // Strategy: append batches of random sizes, syncing after some; take a `torn` crash image
    // (a random prefix of the unsynced writes survives, the last one cut at a random byte) for
    // a random seed; replay in tolerateCorruptedTail mode.
    // Invariants: the replay never throws; it returns a prefix of all records that contains every
    // record appended before the last sync.
    const batchArb = fc.record({ sizes: fc.array(fc.integer({ min: 0, max: 20_000 }), { minLength: 1, maxLength: 4 }), sync: fc.boolean() });
    await fc.assert(
      fc.asyncProperty(fc.array(batchArb, { minLength: 1, maxLength: 6 }), fc.nat(), async (batches, seed) => {
        const { vfs, writer } = await newWriter();
        const payloads: Uint8Array[] = [];
        let synced = 0;
        for (const batch of batches) {
          const batchPayloads = batch.sizes.map((size) => patterned(size, payloads.length + 1 + seed));
          writer.appendSync(batchPayloads);
          payloads.push(...batchPayloads);
          if (batch.sync) {
            await writer.sync();
            synced = payloads.length;
          }
        }
        const { records } = await readLog(vfs.crashImage({ mode: 'torn', seed }));
        expect(records.length).toBeGreaterThanOrEqual(synced);
        records.forEach((record, i) => expect(equalBytes(record.payload, payloads[i] ?? new Uint8Array(1))).toBe(true));
        await writer.close();
      }),
      { numRuns: 100 },
    );
  });

  test('rejects a too-large record with INVALID_ARGUMENT and stays usable', async () => {
    const { vfs, writer } = await newWriter();
    expect(codeOf(() => writer.appendSync([patterned(1, 1), new Uint8Array(RECORD_PAYLOAD_BYTES_MAX + 1)]))).toBe('INVALID_ARGUMENT');
    writer.appendSync([patterned(3, 3)]);
    expect((await readLog(vfs, { mode: 'absoluteConsistency' })).records.length).toBe(1);
    await writer.close();
  });

  test('after a failed appendSync refuses work until repair(), then continues cleanly', async () => {
    const { vfs, writer } = await newWriter();
    writer.appendSync([patterned(10, 1)]);
    const sizeBefore = writer.sizeBytes;
    vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC' });
    expect(codeOf(() => writer.appendSync([patterned(10, 2)]))).toBe('NO_SPACE');
    expect(writer.sizeBytes).toBe(sizeBefore);
    expect(codeOf(() => writer.appendSync([patterned(10, 3)]))).toBe('IO_ERROR');
    await expect(writer.sync()).rejects.toMatchObject({ code: 'IO_ERROR' });
    await writer.repair();
    writer.appendSync([patterned(10, 4)]);
    await writer.sync();
    const { records } = await readLog(vfs, { mode: 'absoluteConsistency' });
    expect(records.map((record) => record.payload)).toEqual([patterned(10, 1), patterned(10, 4)]);
    await writer.close();
  });

  test('append() cuts a failed write off by itself and rethrows the original error', async () => {
    const { vfs, writer } = await newWriter();
    vfs.failOperation({ kind: 'write', nth: 1, error: 'EIO' });
    await expect(writer.append([patterned(10, 1)])).rejects.toMatchObject({ code: 'IO_ERROR', osCode: 'EIO' });
    await writer.append([patterned(10, 2)]);
    const { records } = await readLog(vfs, { mode: 'absoluteConsistency' });
    expect(records.map((record) => record.payload)).toEqual([patterned(10, 2)]);
    await writer.close();
  });

  test('a failed sync fails the writer for good', async () => {
    const { vfs, writer } = await newWriter();
    writer.appendSync([patterned(10, 1)]);
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO' });
    await expect(writer.sync()).rejects.toMatchObject({ code: 'IO_ERROR', osCode: 'EIO' });
    expect(codeOf(() => writer.appendSync([patterned(10, 2)]))).toBe('IO_ERROR');
    await expect(writer.repair()).rejects.toMatchObject({ code: 'IO_ERROR' });
    await writer.close();
  });

  test('refuses work after close with NOT_OPEN; closing twice is harmless', async () => {
    const { writer } = await newWriter();
    await writer.close();
    await writer.close();
    expect(codeOf(() => writer.appendSync([patterned(1, 1)]))).toBe('NOT_OPEN');
    await expect(writer.sync()).rejects.toMatchObject({ code: 'NOT_OPEN' });
  });
});

describe('WalWriter preallocation', () => {
  const PREALLOCATE = 4096;
  const fileSize = async (vfs: MemoryVfs): Promise<number> => (await vfs.stat(LOG_PATH))?.sizeBytes ?? -1;
  /** A preallocating writer holding record 1 (100 bytes), synced, so zeros lie ahead. */
  const withSyncedRecord = async (): Promise<{ vfs: MemoryVfs; writer: WalWriter }> => {
    const { vfs, writer } = await newWriter(PREALLOCATE);
    writer.appendSync([patterned(100, 1)]);
    await writer.sync();
    return { vfs, writer };
  };
  /** The log reads back as exactly `payloads`, with nothing reported. */
  const expectCleanLog = async (vfs: MemoryVfs, payloads: Uint8Array[]): Promise<void> => {
    const { records, report } = await readLog(vfs);
    expect(records.map((record) => record.payload)).toEqual(payloads);
    expect(report.corruptions).toEqual([]);
  };

  test('writes zeros ahead of the log before a sync, and only then; appends overwrite them', async () => {
    const { vfs, writer } = await newWriter(PREALLOCATE);
    writer.appendSync([patterned(100, 1)]);
    expect(await fileSize(vfs)).toBe(writer.sizeBytes);
    await writer.sync();
    const end = writer.sizeBytes + PREALLOCATE;
    expect(await fileSize(vfs)).toBe(end);
    expect((await logBytes(vfs)).subarray(writer.sizeBytes).every((byte) => byte === 0)).toBe(true);
    // Less than half used: the next sync writes no zeros and the file keeps its size.
    writer.appendSync([patterned(1000, 2)]);
    await writer.sync();
    expect(await fileSize(vfs)).toBe(end);
    // Past half: the next sync tops the zeros up again.
    writer.appendSync([patterned(1500, 3)]);
    await writer.sync();
    expect(await fileSize(vfs)).toBe(writer.sizeBytes + PREALLOCATE);
    await writer.close();
  });

  test.each(['tolerateCorruptedTail', 'absoluteConsistency', 'pointInTime', 'skipCorrupted'] as const)(
    'the zeros never read as damage in %s: every synced record survives power loss',
    async (mode) => {
      const { vfs, writer } = await newWriter(PREALLOCATE);
      const payloads = [patterned(300, 1), patterned(5000, 2), patterned(0, 3), patterned(40_000, 4)];
      for (const payload of payloads) {
        writer.appendSync([payload]);
        await writer.sync();
      }
      writer.appendSync([patterned(10, 5)]);
      const image = vfs.crashImage({ mode: 'power-loss' });
      const { records, report } = await readLog(image, { mode });
      expect(records.map((record) => record.payload)).toEqual(payloads);
      expect(report).toMatchObject({ corruptions: [], stoppedEarly: false, droppedBytes: 0 });
      await writer.close();
    },
  );

  test('a failed zero write (disk full) does not fail the sync; a later sync preallocates again', async () => {
    const { vfs, writer } = await newWriter(PREALLOCATE);
    writer.appendSync([patterned(100, 1)]);
    vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC' });
    await writer.sync();
    expect(await fileSize(vfs)).toBe(writer.sizeBytes);
    await writer.sync();
    expect(await fileSize(vfs)).toBe(writer.sizeBytes + PREALLOCATE);
    expect((await readLog(vfs)).records.map((record) => record.payload)).toEqual([patterned(100, 1)]);
    await writer.close();
  });

  test('repair() cuts the zeros with the failed write, and the log continues cleanly', async () => {
    const { vfs, writer } = await withSyncedRecord();
    vfs.failOperation({ kind: 'write', nth: 1, error: 'EIO' });
    expect(codeOf(() => writer.appendSync([patterned(10, 2)]))).toBe('IO_ERROR');
    await writer.repair();
    expect(await fileSize(vfs)).toBe(writer.sizeBytes);
    writer.appendSync([patterned(10, 3)]);
    await writer.sync();
    await expectCleanLog(vfs, [patterned(100, 1), patterned(10, 3)]);
    await writer.close();
  });

  test('syncFinal() cuts the zeros and syncs, refusing appends while it cuts; appending afterwards works', async () => {
    const { vfs, writer } = await withSyncedRecord();
    const finishing = writer.syncFinal();
    expect(codeOf(() => writer.appendSync([patterned(10, 2)]))).toBe('IO_ERROR');
    await finishing;
    expect(await fileSize(vfs)).toBe(writer.sizeBytes);
    expect((await readLog(vfs.crashImage({ mode: 'power-loss' }), { mode: 'absoluteConsistency' })).records.length).toBe(1);
    writer.appendSync([patterned(10, 3)]);
    await writer.sync();
    await expectCleanLog(vfs, [patterned(100, 1), patterned(10, 3)]);
    await writer.close();
  });

  test('syncFinal() still syncs when the cut fails; only a failed sync fails it', async () => {
    const { vfs, writer } = await withSyncedRecord();
    vfs.failOperation({ kind: 'truncate', nth: 1, error: 'EIO' });
    writer.appendSync([patterned(100, 2)]);
    await writer.syncFinal();
    expect(await fileSize(vfs)).toBeGreaterThan(writer.sizeBytes);
    expect((await readLog(vfs.crashImage({ mode: 'power-loss' }))).records.length).toBe(2);
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO' });
    await expect(writer.syncFinal()).rejects.toMatchObject({ code: 'IO_ERROR', osCode: 'EIO' });
    expect(writer.failed).toBe(true);
    await writer.close();
  });

  test('rejects a negative or fractional size with INVALID_ARGUMENT', async () => {
    const vfs = new MemoryVfs();
    for (const preallocateBytes of [-1, 1.5, Number.NaN]) {
      await expect(WalWriter.create(vfs, LOG_PATH, { logNumber: LOG_NUMBER, preallocateBytes })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    expect(await vfs.stat(LOG_PATH)).toBeUndefined();
  });
});

describe('WalWriter.openForAppend', () => {
  test('appends after the records a replay read, across block boundaries, for any split of the records', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.nat({ max: 40_000 }), { minLength: 0, maxLength: 8 }),
        fc.nat(),
        fc.nat({ max: 64 * 1024 }),
        async (lengths, splitSeed, preallocateBytes) => {
          const payloads = lengths.map((length, i) => patterned(length, i));
          const split = lengths.length === 0 ? 0 : splitSeed % (lengths.length + 1);
          const { vfs, writer } = await newWriter();
          await writer.append(payloads.slice(0, split));
          await writer.syncFinal();
          await writer.close();
          const first = await readLog(vfs);
          const reopened = await WalWriter.openForAppend(vfs, LOG_PATH, { logNumber: LOG_NUMBER, endOffset: first.report.lastGoodOffset, preallocateBytes });
          expect(reopened.sizeBytes).toBe(first.report.lastGoodOffset);
          await reopened.append(payloads.slice(split));
          await reopened.sync();
          await reopened.syncFinal();
          await reopened.close();
          const { records, report } = await readLog(vfs, { mode: 'absoluteConsistency' });
          expect(records.length).toBe(payloads.length);
          // equalBytes: deep equality of large arrays element by element would dominate the run time.
          expect(records.every((record, i) => equalBytes(record.payload, payloads[i] ?? new Uint8Array()))).toBe(true);
          expect(report.stoppedEarly).toBe(false);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('refuses a file that does not end where the replay did, or is not the expected log', async () => {
    const { vfs, writer } = await newWriter();
    await writer.append([patterned(100, 1)]);
    await writer.close();
    const end = (await readLog(vfs)).report.lastGoodOffset;
    const refusals = [
      WalWriter.openForAppend(vfs, LOG_PATH, { logNumber: LOG_NUMBER, endOffset: end - 1 }),
      WalWriter.openForAppend(vfs, LOG_PATH, { logNumber: LOG_NUMBER + 1, endOffset: end }),
    ];
    for (const refusal of refusals) await expect(refusal).rejects.toMatchObject({ code: 'CORRUPTION' });
    // A file that is nothing but zeros (a crash during creation) has no header to append after.
    const zeros = await vfs.open('/db/000008.log', { create: true });
    await zeros.write({ data: new Uint8Array(HEADER_RECORD_BYTES_V1), position: 0 });
    await zeros.close();
    await expect(WalWriter.openForAppend(vfs, '/db/000008.log', { logNumber: 8, endOffset: HEADER_RECORD_BYTES_V1 })).rejects.toMatchObject({ code: 'CORRUPTION' });
    await expect(WalWriter.openForAppend(vfs, '/db/000009.log', { logNumber: 9, endOffset: 0 })).rejects.toMatchObject({ code: 'IO_ERROR', osCode: 'ENOENT' });
    // The refusals left the log as it was.
    expect((await readLog(vfs)).records.map((record) => record.payload)).toEqual([patterned(100, 1)]);
  });
});
