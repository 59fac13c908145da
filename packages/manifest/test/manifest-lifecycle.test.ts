import { AssertionError, isKvError } from '@kv/base';
import { describe, expect, test } from 'vitest';
import { Manifest, REUSE_BYTES_MAX, Version, manifestFileName, readCurrent, readManifest } from '../src/index.js';
import type { VersionEdit } from '../src/index.js';
import { DIR, OPTIONS, editFor, errorOf, file, initialVersion, logSteps, newDbVfs, stateOf } from './helpers.js';
import type { LsmStep } from './helpers.js';

const STEPS: LsmStep[] = [
  { kind: 'flush', keys: [1, 5] },
  { kind: 'flush', keys: [3, 9] },
  { kind: 'compact' },
  { kind: 'newLog' },
  { kind: 'move', pick: 0 },
  { kind: 'flush', keys: [20, 30] },
  { kind: 'compact' },
];

/** An edit large enough to pass twice the opening snapshot's size, so it triggers a rollover. */
function bigEdit(manifest: Manifest, lastSequence: number): VersionEdit {
  const added = file({ level: 0, fileNumber: manifest.allocateFileNumber(), smallest: 'a'.repeat(200), largest: 'b'.repeat(200) });
  return { lastSequence, addedFiles: [added] };
}

describe('Manifest lifecycle', () => {
  test('create, logAndApply, close, open gives the same version', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    expect(manifest.manifestNumber).toBe(1);
    expect(await readCurrent(vfs, DIR)).toBe('MANIFEST-000001');
    const versions = await logSteps(manifest, STEPS);
    const last = versions.at(-1);
    expect(manifest.current).toBe(last);
    await manifest.close();

    const opened = await Manifest.open(vfs, DIR);
    if (opened === undefined || last === undefined) throw new Error('expected a database');
    expect(stateOf(opened.version)).toEqual(stateOf(last));
    expect(opened.version.options).toEqual(OPTIONS);
    // The snapshot, one record per step, and the close marker.
    expect(opened.replay).toMatchObject({ records: STEPS.length + 2, stoppedEarly: false });
    expect(opened.reused).toBe(true);
    await opened.manifest.close();
  });

  test('open without reuse writes a new manifest, switches CURRENT and deletes the old one', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    await logSteps(manifest, STEPS.slice(0, 2));
    await manifest.close();
    const before = await readManifest(vfs, DIR);
    const opened = await Manifest.open(vfs, DIR, { reuse: false });
    if (opened === undefined || before === undefined) throw new Error('expected a database');
    const number = opened.manifest.manifestNumber;
    expect(number).toBe(before.version.nextFileNumber);
    expect(opened.version.nextFileNumber).toBe(number + 1);
    expect(await vfs.list(DIR)).toEqual(['CURRENT', manifestFileName(number)]);
    // The new manifest holds exactly one edit: the snapshot.
    const after = await readManifest(vfs, DIR);
    expect(after?.report.records).toBe(1);
    expect(after?.version).toEqual(opened.version);
    // It keeps working after the switch.
    const next = await opened.manifest.logAndApply({ lastSequence: 99 });
    expect(next.lastSequence).toBe(99);
    await opened.manifest.close();
    expect((await readManifest(vfs, DIR))?.version.lastSequence).toBe(99);
  });

  test('open reuses a clean manifest below a quarter of rolloverBytes and removes every other manifest', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    const versions = await logSteps(manifest, STEPS.slice(0, 3));
    await manifest.close();
    // Left by switches that never completed: neither is named by CURRENT.
    await (await vfs.open(`${DIR}/${manifestFileName(40)}`, { create: true })).close();
    const opened = await Manifest.open(vfs, DIR);
    if (opened === undefined) throw new Error('expected a database');
    expect(opened.reused).toBe(true);
    expect(opened.previousManifestName).toBe(manifestFileName(1));
    expect(opened.manifest.manifestNumber).toBe(1);
    expect(stateOf(opened.version)).toEqual(stateOf(versions.at(-1) as Version));
    expect(await vfs.list(DIR)).toEqual(['CURRENT', manifestFileName(1)]);
    const sizeBefore = opened.manifest.sizeBytes;
    await opened.manifest.logAndApply({ lastSequence: 99 });
    expect(opened.manifest.sizeBytes).toBeGreaterThan(sizeBefore);
    await opened.manifest.close();
    const after = await readManifest(vfs, DIR);
    // Snapshot, three steps, the first close's marker, the edit, the second close's marker.
    expect(after?.report.records).toBe(1 + 3 + 1 + 1 + 1);
    expect(after?.closedCleanly).toBe(true);
    expect(after?.version.lastSequence).toBe(99);
  });

  test('open rewrites a manifest without the close marker: its writer died, or a sync of it failed', async () => {
    for (const ending of ['died', 'failed sync'] as const) {
      const vfs = await newDbVfs();
      const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
      await logSteps(manifest, STEPS.slice(0, 2));
      let image = vfs;
      if (ending === 'died') image = vfs.crashImage({ mode: 'process-kill' });
      else {
        vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO', loseUnsynced: true });
        await expect(manifest.logAndApply({ lastSequence: 50 })).rejects.toMatchObject({ code: 'IO_ERROR' });
        vfs.clearFaults();
      }
      await manifest.close();
      const replay = await readManifest(image, DIR);
      expect(replay?.closedCleanly).toBe(false);
      const opened = await Manifest.open(image, DIR);
      expect(opened?.reused).toBe(false);
      expect(opened?.manifest.manifestNumber).not.toBe(1);
      await opened?.manifest.close();
    }
  });

  test('open rewrites a manifest of a quarter of rolloverBytes or more, or of REUSE_BYTES_MAX or more', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    await logSteps(manifest, STEPS);
    await manifest.close();
    const fileBytes = (await readManifest(vfs, DIR))?.fileBytes ?? 0;
    const reused = await Manifest.open(vfs, DIR, { rolloverBytes: fileBytes * 4 + 1 });
    expect(reused?.reused).toBe(true);
    await reused?.manifest.close();
    // Its close appended another marker.
    const grownBytes = (await readManifest(vfs, DIR))?.fileBytes ?? 0;
    const rewritten = await Manifest.open(vfs, DIR, { rolloverBytes: grownBytes * 4 });
    expect(rewritten?.reused).toBe(false);
    expect(rewritten?.manifest.manifestNumber).not.toBe(1);
    expect(await vfs.list(DIR)).toEqual(['CURRENT', manifestFileName(rewritten?.manifest.manifestNumber ?? 0)]);
    await rewritten?.manifest.close();
    // Grown past REUSE_BYTES_MAX by edits appended across reuses, it is rewritten again.
    let manifestNumber = rewritten?.manifest.manifestNumber ?? 0;
    let reuses = 0;
    for (let round = 0; ; round++) {
      const opened = await Manifest.open(vfs, DIR);
      if (opened === undefined) throw new Error('expected a database');
      if (!opened.reused) {
        expect(round).toBeGreaterThan(0);
        expect(opened.manifest.manifestNumber).not.toBe(manifestNumber);
        expect(opened.manifest.sizeBytes).toBeLessThan(REUSE_BYTES_MAX);
        await opened.manifest.close();
        break;
      }
      reuses++;
      expect(opened.manifest.manifestNumber).toBe(manifestNumber);
      for (let i = 0; i < 200; i++) await opened.manifest.logAndApply({ lastSequence: opened.manifest.current.lastSequence + 1 });
      manifestNumber = opened.manifest.manifestNumber;
      await opened.manifest.close();
    }
    expect(reuses).toBeGreaterThan(1);
  });

  test('open skips file numbers used by files the manifest never recorded', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    await manifest.close();
    // A WAL segment created after the last edit (the engine allocated it, then crashed).
    await (await vfs.open(`${DIR}/000042.log`, { create: true })).close();
    const rewritten = await Manifest.open(vfs, DIR, { reuse: false });
    expect(rewritten?.manifest.manifestNumber).toBe(43);
    expect(rewritten?.version.nextFileNumber).toBe(44);
    await rewritten?.manifest.close();
    // Reused, the manifest keeps its number and hands out numbers past the segment's.
    await (await vfs.open(`${DIR}/000050.log`, { create: true })).close();
    const reused = await Manifest.open(vfs, DIR);
    expect(reused?.reused).toBe(true);
    expect(reused?.manifest.manifestNumber).toBe(43);
    expect(reused?.version.nextFileNumber).toBe(51);
    expect(reused?.manifest.allocateFileNumber()).toBe(51);
    // The next edit records the counter past every number handed out.
    await reused?.manifest.logAndApply({ lastSequence: 1 });
    await reused?.manifest.close();
    expect((await readManifest(vfs, DIR))?.version.nextFileNumber).toBe(52);
  });

  test('rollover switches CURRENT to a snapshot and deletes the old manifest', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion(), rolloverBytes: 300 });
    const seen = new Set<number>([manifest.manifestNumber]);
    let version = manifest.current;
    for (let i = 0; i < 30; i++) {
      version = await manifest.logAndApply(editFor(version, { kind: 'flush', keys: [i, i + 2] }, () => manifest.allocateFileNumber()));
      seen.add(manifest.manifestNumber);
      const names = (await vfs.list(DIR)).filter((name) => name.startsWith('MANIFEST-'));
      expect(names).toEqual([manifestFileName(manifest.manifestNumber)]);
      expect(await readCurrent(vfs, DIR)).toBe(names[0]);
      expect(version.nextFileNumber).toBeGreaterThan(manifest.manifestNumber);
    }
    expect(seen.size).toBeGreaterThan(3);
    // Every allocated number is distinct: files and manifests share the counter.
    const fileNumbers = version.files().map((f) => f.fileNumber);
    for (const n of seen) expect(fileNumbers).not.toContain(n);
    await manifest.close();
    const opened = await Manifest.open(vfs, DIR);
    expect(opened && stateOf(opened.version)).toEqual(stateOf(version));
    await opened?.manifest.close();
  });

  test('serializes concurrent logAndApply calls in call order', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion(), rolloverBytes: 200 });
    const edits: VersionEdit[] = Array.from({ length: 20 }, (_, i) => ({ lastSequence: i + 1 }));
    const results = await Promise.all(edits.map((edit) => manifest.logAndApply(edit)));
    expect(results.map((v) => v.lastSequence)).toEqual(edits.map((e) => e.lastSequence));
    await manifest.close();
    expect((await readManifest(vfs, DIR))?.version.lastSequence).toBe(20);
  });

  test('records every allocated number in the next edit', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    expect([manifest.allocateFileNumber(), manifest.allocateFileNumber()]).toEqual([3, 4]);
    const version = await manifest.logAndApply({});
    expect(version.nextFileNumber).toBe(5);
    await manifest.close();
    expect((await readManifest(vfs, DIR))?.version.nextFileNumber).toBe(5);
  });

  test('an edit that does not apply is a bug, writes nothing and leaves the manifest usable', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    const size = manifest.sizeBytes;
    expect(await errorOf(manifest.logAndApply({ removedFiles: [{ level: 0, fileNumber: 77 }] }))).toBeInstanceOf(AssertionError);
    expect(manifest.sizeBytes).toBe(size);
    const n = manifest.allocateFileNumber();
    const version = await manifest.logAndApply({ addedFiles: [file({ level: 0, fileNumber: n })] });
    expect(version.files().map((f) => f.fileNumber)).toEqual([n]);
    await manifest.close();
  });

  test('refuses calls after close, and a second create in the same directory', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    await manifest.close();
    await manifest.close();
    expect(isKvError(await errorOf(manifest.logAndApply({})), 'NOT_OPEN')).toBe(true);
    expect(isKvError(await errorOf(Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() })), 'INVALID_ARGUMENT')).toBe(true);
  });

  test('refuses a manifest number at or above nextFileNumber', async () => {
    const vfs = await newDbVfs();
    const error = await errorOf(Manifest.create(vfs, DIR, { manifestNumber: 3, version: initialVersion() }));
    expect(isKvError(error, 'INVALID_ARGUMENT')).toBe(true);
  });

  test('create replaces a manifest left by a create that crashed before CURRENT', async () => {
    const vfs = await newDbVfs();
    await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    // A crash image taken before CURRENT was renamed: the manifest exists, CURRENT does not.
    await vfs.unlink(`${DIR}/CURRENT`);
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    expect(await readCurrent(vfs, DIR)).toBe('MANIFEST-000001');
    await manifest.close();
  });

  test('a failed sync fails the manifest for good; reopening recovers', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    await manifest.logAndApply({ lastSequence: 1 });
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO' });
    expect(isKvError(await errorOf(manifest.logAndApply({ lastSequence: 2 })), 'IO_ERROR')).toBe(true);
    expect(manifest.current.lastSequence).toBe(1);
    expect(isKvError(await errorOf(manifest.logAndApply({ lastSequence: 3 })), 'IO_ERROR')).toBe(true);
    await manifest.close();
    // The failed edit reached the file, so it may be recovered: its fate was unknown.
    const opened = await Manifest.open(vfs, DIR);
    expect([1, 2]).toContain(opened?.version.lastSequence);
    await opened?.manifest.close();
  });

  test('a failed append leaves the manifest usable', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC' });
    expect(isKvError(await errorOf(manifest.logAndApply({ lastSequence: 2 })), 'NO_SPACE')).toBe(true);
    expect((await manifest.logAndApply({ lastSequence: 3 })).lastSequence).toBe(3);
    await manifest.close();
    expect((await readManifest(vfs, DIR))?.version.lastSequence).toBe(3);
  });

  test('a rollover that fails before the rename keeps the old manifest and retries', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion(), rolloverBytes: 100 });
    // The rollover's first operation is the exclusive create of the new manifest.
    vfs.failOperation({ kind: 'open', nth: 1, error: 'ENOSPC' });
    const version = await manifest.logAndApply(bigEdit(manifest, 1));
    expect(version.lastSequence).toBe(1);
    expect(manifest.manifestNumber).toBe(1);
    expect(await readCurrent(vfs, DIR)).toBe('MANIFEST-000001');
    await manifest.logAndApply({ lastSequence: 2 });
    expect(manifest.manifestNumber).toBeGreaterThan(1);
    expect(await readCurrent(vfs, DIR)).toBe(manifestFileName(manifest.manifestNumber));
    await manifest.close();
    expect((await readManifest(vfs, DIR))?.version.lastSequence).toBe(2);
  });

  test('a rollover whose directory fsync fails keeps the edit and fails the manifest', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion(), rolloverBytes: 100 });
    // syncDir #1 is the new manifest's creation (WalWriter.create), #2 the CURRENT switch.
    vfs.failOperation({ kind: 'syncDir', nth: 2, error: 'EIO' });
    expect((await manifest.logAndApply(bigEdit(manifest, 1))).lastSequence).toBe(1);
    expect(isKvError(await errorOf(manifest.logAndApply({ lastSequence: 2 })), 'IO_ERROR')).toBe(true);
    await manifest.close();
    // Whichever CURRENT survives, it names a manifest holding the acknowledged edit.
    for (const image of [vfs.crashImage({ mode: 'power-loss' }), vfs.crashImage({ mode: 'process-kill' })]) {
      expect((await readManifest(image, DIR))?.version.lastSequence).toBe(1);
    }
  });

  test('readManifest reads without writing', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    await manifest.logAndApply({ lastSequence: 5 });
    await manifest.close();
    const count = vfs.operationCount;
    const replay = await readManifest(vfs, DIR);
    expect(vfs.operationCount).toBe(count);
    expect(replay).toMatchObject({ manifestName: 'MANIFEST-000001', manifestNumber: 1 });
    expect(replay?.version.lastSequence).toBe(5);
    expect(await readManifest(await newDbVfs(), DIR)).toBeUndefined();
  });
});

describe('Manifest.open failures', () => {
  test('a failed directory listing while reusing the manifest rejects and leaves no file open', async () => {
    const vfs = await newDbVfs();
    await (await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() })).close();
    const open = new Set<unknown>();
    const realOpen = vfs.open.bind(vfs);
    vfs.open = async (path, options) => {
      const file = await realOpen(path, options);
      open.add(file);
      const close = file.close.bind(file);
      file.close = async () => {
        open.delete(file);
        await close();
      };
      return file;
    };
    vfs.failOperation({ kind: 'list', nth: 1, error: 'EIO' });
    await expect(Manifest.open(vfs, DIR)).rejects.toMatchObject({ code: 'IO_ERROR' });
    expect([...open].map((f) => (f as { path: string }).path)).toEqual([]);
  });
});
