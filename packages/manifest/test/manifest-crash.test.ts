import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { WalWriter } from '@kv/wal';
import { Manifest, ROLLOVER_BYTES_DEFAULT, encodeVersionEdit, manifestFileName, parseManifestFileName, readCurrent } from '../src/index.js';
import type { OpenedManifest, Version, VersionEdit } from '../src/index.js';
import { checkCrashPoint, recordCrashPoints } from './crash-harness.js';
import { DIR, editFor, file, initialVersion, logSteps, lsmStepArb, newDbVfs } from './helpers.js';
import type { LsmStep } from './helpers.js';
import type { MemoryVfs } from '@kv/vfs';

describe('power loss at every file-system operation', () => {
  test('during create and a sequence of logAndApply calls, with rollovers', async () => {
    // Goal: a crash at any moment of create + logAndApply (rollovers included) recovers a
    // prefix of the edits that includes every acknowledged one.
    // Strategy: random scripts of 1..10 LSM edits (flush, compact, move, new log) with a
    // rollover threshold of 1 byte (a rollover whenever the manifest doubles), 300 bytes, or
    // the default; after every vfs operation take a power-loss and two torn images.
    // Invariants (checkCrashPoint): every image opens without error; before create resolved
    // it may hold no database; otherwise its state is the version after j edits with
    // acknowledged <= j <= acknowledged + 1; CURRENT never names a missing manifest; the
    // file counter is past every number in use; a second crash right after open is harmless.
    await fc.assert(
      fc.asyncProperty(
        fc.array(lsmStepArb, { minLength: 1, maxLength: 10 }),
        fc.constantFrom(1, 300, ROLLOVER_BYTES_DEFAULT),
        async (steps, rolloverBytes) => {
          const vfs = await newDbVfs();
          let acknowledged = -1;
          const { points, stop } = recordCrashPoints(vfs, () => acknowledged);
          const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion(), rolloverBytes });
          const expected: Version[] = [manifest.current];
          acknowledged = 0;
          for (const step of steps) {
            expected.push(await manifest.logAndApply(editFor(manifest.current, step, () => manifest.allocateFileNumber())));
            acknowledged += 1;
          }
          await manifest.close();
          stop();
          for (const point of points) await checkCrashPoint(point, expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('during edits that span WAL blocks', async () => {
    // Goal: torn multi-fragment edits (FIRST without LAST) are dropped, never misread.
    // Strategy: 6 edits each adding a file with 9,000-byte keys (18 KB records, so most cross
    // a 32 KiB block), rollover at 64 KiB; images after every operation.
    // Invariants: as in the first test.
    const vfs = await newDbVfs();
    let acknowledged = -1;
    const { points, stop } = recordCrashPoints(vfs, () => acknowledged);
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion(), rolloverBytes: 64 * 1024 });
    const expected: Version[] = [manifest.current];
    acknowledged = 0;
    for (let i = 1; i <= 6; i++) {
      const added = file({ level: 0, fileNumber: manifest.allocateFileNumber(), smallest: `${i}`.repeat(9000), largest: `${i}z`.repeat(4500) });
      expected.push(await manifest.logAndApply({ lastSequence: i, addedFiles: [added] }));
      acknowledged += 1;
    }
    await manifest.close();
    stop();
    for (const point of points) await checkCrashPoint(point, expected);
  });

  test('during concurrent logAndApply calls', async () => {
    // Goal: the queue keeps the crash guarantees when edits are submitted all at once.
    // Strategy: create, then 8 flush edits submitted without waiting, rollover at 1 byte; the
    // acknowledged count rises in each call's continuation; images after every operation.
    // Invariants: as above, with up to 8 edits in flight (a prefix, never a gap).
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion(), rolloverBytes: 1 });
    let acknowledged = 0;
    const { points, stop } = recordCrashPoints(vfs, () => acknowledged);
    const edits: VersionEdit[] = Array.from({ length: 8 }, (_, i) => ({
      lastSequence: i + 1,
      addedFiles: [file({ level: 0, fileNumber: manifest.allocateFileNumber() })],
    }));
    const versions = await Promise.all(
      edits.map((edit) =>
        manifest.logAndApply(edit).then((version) => {
          acknowledged += 1;
          return version;
        }),
      ),
    );
    await manifest.close();
    stop();
    expect(points.length).toBeGreaterThan(50);
    const expected = [initialVersion(), ...versions];
    for (const point of points) await checkCrashPoint(point, expected, edits.length);
  });

  test('during Manifest.open (the switch to a new manifest) and the edits after it', async () => {
    // Goal: the open-time switch (new manifest, CURRENT, removal of the old one) is atomic. A
    // manifest with a torn tail is never reused: open switches to a new one.
    // Strategy: a database of 6 edits whose manifest ends in a torn, unacknowledged edit and
    // has a stale manifest beside it; record images during Manifest.open and two edits after.
    // Invariants: every image opens to the state of 6 edits (or 7, 8 once those resolved).
    const vfs = await newDbVfs();
    const expected = await closedManifestOfSixEdits(vfs);
    // Half of an edit nobody acknowledged, as a crash during its write leaves it.
    const path = `${DIR}/MANIFEST-000001`;
    const handle = await vfs.open(path, { write: true });
    await handle.write({ data: new Uint8Array([0x11, 0x22, 0x33, 0x44, 0x30, 0x00, 0x01, 0x01]), position: await handle.size() });
    await handle.sync();
    await handle.close();
    await (await vfs.open(`${DIR}/MANIFEST-000002`, { create: true })).close();
    await vfs.syncDir(DIR);

    await checkOpenAndTwoEdits(vfs, expected, 6, async (opened) => {
      expect(opened.replay.stoppedEarly).toBe(true);
      expect(await vfs.list(DIR)).toEqual(['CURRENT', manifestFileName(opened.manifest.manifestNumber)]);
    });
  });

  test('during Manifest.open of a manifest whose last edit and CURRENT are not yet durable, and the edits after it', async () => {
    // Goal: once open resolves, what it recovered is durable, even when the process that
    // wrote it died before making it so; until then a crash recovers the state before or after.
    // Such a manifest has no close marker, so open rewrites it rather than reuse it.
    // Strategy: 6 acknowledged edits; an open whose switch to a new manifest fails at the
    // directory sync after the rename (CURRENT names the new manifest, not durably); a 7th
    // edit appended to that manifest without a sync (its writer died). Then record images
    // during Manifest.open and two edits after it.
    // Invariants: every image opens to the state of 6 or 7 edits, and of at least 7 once the
    // open resolved (8, 9 once those edits resolved).
    const vfs = await newDbVfs();
    const expected = await closedManifestOfSixEdits(vfs);
    vfs.failOperation({ kind: 'syncDir', nth: 2, error: 'EIO' });
    await expect(Manifest.open(vfs, DIR, { reuse: false })).rejects.toMatchObject({ code: 'IO_ERROR' });
    vfs.clearFaults();
    const liveName = await readCurrent(vfs, DIR);
    const liveNumber = parseManifestFileName(liveName ?? '') ?? 0;
    expect(liveNumber).toBeGreaterThan(1);
    const last = expected[6] as Version;
    let nextNumber = liveNumber + 1;
    const unsynced = { ...editFor(last, { kind: 'flush', keys: [3, 7] }, () => nextNumber++), nextFileNumber: liveNumber + 2 };
    expected.push(last.apply(unsynced));
    const path = `${DIR}/${liveName}`;
    const writer = await WalWriter.openForAppend(vfs, path, { logNumber: liveNumber, endOffset: (await vfs.stat(path))?.sizeBytes ?? 0 });
    await writer.append([encodeVersionEdit(unsynced)]);
    await writer.close();

    await checkOpenAndTwoEdits(vfs, expected, 6, async (opened) => {
      expect(opened.reused).toBe(false);
      expect(opened.manifest.manifestNumber).not.toBe(liveNumber);
      expect(opened.version.lastSequence).toBe(7);
      expect(await vfs.list(DIR)).toEqual(['CURRENT', manifestFileName(opened.manifest.manifestNumber)]);
    });
  });

  test('during a Manifest.open that reuses a cleanly closed manifest, and the edits and close after it', async () => {
    // Goal: reusing a manifest (no switch, no sync at open) loses nothing and never leaves
    // CURRENT naming a partial manifest; the edits appended after the close marker and the
    // next close are as durable as any.
    // Strategy: 6 edits and a close (the marker); images during Manifest.open, two edits, and
    // the close after them.
    // Invariants: every image opens to the state of 6 edits (7, 8 once those resolved).
    const vfs = await newDbVfs();
    const expected = await closedManifestOfSixEdits(vfs);
    await checkOpenAndTwoEdits(vfs, expected, 6, (opened) => {
      expect(opened.reused).toBe(true);
    });
  });
});

/**
 * Records crash images during `Manifest.open` of `vfs` (with `acknowledged` edits before it),
 * `check`s the opened manifest, then two edits and a close; checks every image. What the open
 * recovered counts as acknowledged once it resolved; the two edits are appended to `expected`.
 */
async function checkOpenAndTwoEdits(vfs: MemoryVfs, expected: Version[], acknowledgedBefore: number, check: (opened: OpenedManifest) => void | Promise<void>): Promise<void> {
  let acknowledged = acknowledgedBefore;
  const { points, stop } = recordCrashPoints(vfs, () => acknowledged);
  const opened = await Manifest.open(vfs, DIR);
  if (opened === undefined) throw new Error('expected a database');
  acknowledged = opened.version.lastSequence;
  await check(opened);
  for (let i = 0; i < 2; i++) {
    expected.push(await opened.manifest.logAndApply({ lastSequence: opened.manifest.current.lastSequence + 1 }));
    acknowledged += 1;
  }
  await opened.manifest.close();
  stop();
  expect(points.length).toBeGreaterThan(0);
  for (const point of points) await checkCrashPoint(point, expected);
}

/**
 * A manifest of six edits of every kind (flush, compaction, new WAL, move), closed: the
 * versions after 0..6 edits.
 */
async function closedManifestOfSixEdits(vfs: MemoryVfs): Promise<Version[]> {
  const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
  const expected: Version[] = [manifest.current];
  const steps: LsmStep[] = [
    { kind: 'flush', keys: [1, 4] },
    { kind: 'flush', keys: [2, 8] },
    { kind: 'compact' },
    { kind: 'newLog' },
    { kind: 'move', pick: 0 },
    { kind: 'flush', keys: [5, 6] },
  ];
  expected.push(...(await logSteps(manifest, steps)));
  await manifest.close();
  return expected;
}
