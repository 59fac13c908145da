import { compareBytes } from '@kv/base';
import { TableReader } from '@kv/sstable';
import { MemoryVfs } from '@kv/vfs';
import { describe, expect, it } from 'vitest';
import { outputFileCountFor, planManualCompaction, resolvePolicy, runCompaction, tableFileName } from '../src/index.js';
import type { CompactionJobInput, CompactionPlan } from '../src/index.js';
import type { TableFileMeta } from '@kv/manifest';
import { DIR, SEQ_MAX, buildInput, del, expectSameFiles, put, readAt, readFiles, sortEntries, versionWith } from './helpers.js';
import type { ModelEntry } from './helpers.js';

const key = (i: number): string => `key${String(i).padStart(6, '0')}`;

async function setUp(groups: { level: number; entries: ModelEntry[] }[]): Promise<{ vfs: MemoryVfs; files: TableFileMeta[] }> {
  const vfs = new MemoryVfs();
  await vfs.mkdir(DIR);
  await vfs.syncDir('/');
  const files: TableFileMeta[] = [];
  for (const [i, group] of groups.entries()) files.push(await buildInput(vfs, { fileNumber: i + 1, level: group.level, entries: group.entries }));
  await vfs.syncDir(DIR);
  return { vfs, files };
}

function jobFor(plan: CompactionPlan, overrides: Partial<CompactionJobInput> = {}): CompactionJobInput {
  return {
    dir: DIR,
    plan,
    outputFileNumbers: Array.from({ length: outputFileCountFor(plan, overrides.targetFileSizeBytes ?? 16384) }, (_, i) => 1000 + i),
    snapshots: [],
    build: { pageSizeBytes: 1024, compression: 'none', bloomBitsPerKey: 10 },
    targetFileSizeBytes: 16384,
    ...overrides,
  };
}

function level0Plan(files: TableFileMeta[], bottommost = false): CompactionPlan {
  return { inputLevel: 0, outputLevel: 1, inputs: files, overlaps: [], bottommost, reason: 'level0' };
}

function expectSortedDisjoint(files: readonly TableFileMeta[]): void {
  for (let i = 1; i < files.length; i++) {
    expect(compareBytes((files[i - 1] as TableFileMeta).largestKey, (files[i] as TableFileMeta).smallestKey)).toBeLessThan(0);
  }
}

describe('runCompaction', () => {
  it('splits outputs at about the target size into sorted, non-overlapping files', async () => {
    const entries = Array.from({ length: 3000 }, (_, i) => put(key(i), i + 1, `value-${i}-${'z'.repeat(60)}`));
    const { vfs, files } = await setUp([{ level: 0, entries: entries.filter((_, i) => i % 2 === 0) }, { level: 0, entries: entries.filter((_, i) => i % 2 === 1) }]);
    const result = await runCompaction(vfs, jobFor(level0Plan(files)));
    expect(result.added.length).toBeGreaterThan(5);
    expectSortedDisjoint(result.added);
    // Every file but the last reaches the target, and overshoots by at most a page plus the metadata.
    for (const file of result.added.slice(0, -1)) {
      expect(file.sizeBytes).toBeGreaterThanOrEqual(16384);
      expect(file.sizeBytes).toBeLessThan(16384 + 8 * 1024);
    }
    expect(result.added.every((file) => file.level === 1)).toBe(true);
    expect(result.bytesWritten).toBe(result.added.reduce((total, file) => total + file.sizeBytes, 0));
    expect(result.bytesRead).toBe(files.reduce((total, file) => total + file.sizeBytes, 0));
    expect(result.removed).toEqual(files.map((file) => ({ level: 0, fileNumber: file.fileNumber })));
    expect((await readFiles(vfs, result.added)).map((entry) => entry.seq)).toEqual(sortEntries(entries).map((entry) => entry.seq));
  });

  it('never splits the versions of one user key across two files', async () => {
    const hot = Array.from({ length: 400 }, (_, i) => put('hot', i + 1, 'h'.repeat(80)));
    const cold = Array.from({ length: 400 }, (_, i) => put(key(i), 1000 + i, 'c'.repeat(40)));
    const { vfs, files } = await setUp([{ level: 0, entries: [...hot, ...cold] }]);
    // A snapshot at every seq of "hot" keeps all 400 versions (~40 KiB, over the 16 KiB target).
    const snapshots = hot.map((entry) => entry.seq);
    const result = await runCompaction(vfs, jobFor(level0Plan(files), { snapshots }));
    expectSortedDisjoint(result.added);
    const holders = result.added.filter((file) => compareBytes(file.smallestKey, new TextEncoder().encode('hot')) <= 0 && compareBytes(file.largestKey, new TextEncoder().encode('hot')) >= 0);
    expect(holders).toHaveLength(1);
    expect(holders[0]?.sizeBytes).toBeGreaterThan(16384 * 2);
    expect(result.entriesOut).toBe(800);
  });

  it('writes LZ4 pages when the build options say so, and plain pages otherwise', async () => {
    const entries = Array.from({ length: 2000 }, (_, i) => put(key(i), i + 1, 'a'.repeat(100)));
    for (const compression of ['lz4', 'none'] as const) {
      const { vfs, files } = await setUp([{ level: 0, entries }]);
      const result = await runCompaction(vfs, jobFor(level0Plan(files), { build: { pageSizeBytes: 1024, compression, bloomBitsPerKey: 10 }, targetFileSizeBytes: 1 << 20 }));
      const first = result.added[0] as TableFileMeta;
      const reader = await TableReader.open(vfs, `${DIR}/${tableFileName(first.fileNumber)}`, { fileNumber: first.fileNumber });
      expect(reader.properties.compression).toBe(compression);
      if (compression === 'lz4') expect(first.sizeBytes).toBeLessThan((files[0] as TableFileMeta).sizeBytes / 2);
      await reader.close();
    }
  });

  it('merges a level-1 file with its overlapping level-2 files, newest version winning', async () => {
    const older = Array.from({ length: 300 }, (_, i) => put(key(i), i + 1, 'old'));
    const newer = Array.from({ length: 100 }, (_, i) => put(key(i * 3), 1000 + i, 'new'));
    const { vfs, files } = await setUp([
      { level: 1, entries: newer },
      { level: 2, entries: older.slice(0, 100) },
      { level: 2, entries: older.slice(100, 200) },
      { level: 2, entries: older.slice(200) },
    ]);
    const plan: CompactionPlan = { inputLevel: 1, outputLevel: 2, inputs: files.slice(0, 1), overlaps: files.slice(1), bottommost: true, reason: 'size' };
    const result = await runCompaction(vfs, jobFor(plan));
    const output = await readFiles(vfs, result.added);
    expect(output).toHaveLength(300);
    expect(output.filter((entry) => new TextDecoder().decode(entry.value) === 'new')).toHaveLength(100);
    expect(result.droppedVersions).toBe(100);
    expect(result.added.every((file) => file.level === 2)).toBe(true);
  });

  it('fails with INVALID_ARGUMENT when it runs out of output numbers, leaving no outputs', async () => {
    const entries = Array.from({ length: 3000 }, (_, i) => put(key(i), i + 1, 'v'.repeat(60)));
    const { vfs, files } = await setUp([{ level: 0, entries }]);
    const before = await vfs.list(DIR);
    await expect(runCompaction(vfs, jobFor(level0Plan(files), { outputFileNumbers: [50, 51] }))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await vfs.list(DIR)).toEqual(before);
  });

  it('deletes its outputs and leaves the inputs intact when a write fails', async () => {
    const entries = Array.from({ length: 3000 }, (_, i) => put(key(i), i + 1, 'v'.repeat(60)));
    const { vfs, files } = await setUp([{ level: 0, entries }]);
    const before = vfs.snapshotFiles();
    vfs.failOperation({ kind: 'write', nth: 4, error: 'ENOSPC' });
    await expect(runCompaction(vfs, jobFor(level0Plan(files)))).rejects.toMatchObject({ code: 'NO_SPACE' });
    expectSameFiles(vfs.snapshotFiles(), before);
  });

  it('leaves only its inputs when any one write, sync or open of an output fails, also while the next output fills', async () => {
    // An output's last writes and fdatasync run while the next output fills (CompactionOutput's
    // `finishing`), so a failure can land in either file.
    const entries = Array.from({ length: 3000 }, (_, i) => put(key(i), i + 1, 'v'.repeat(60)));
    const { vfs, files } = await setUp([{ level: 0, entries }]);
    const before = vfs.snapshotFiles();
    for (const kind of ['write', 'sync', 'open'] as const) {
      let failures = 0;
      for (let nth = 1; ; nth++) {
        vfs.failOperation({ kind, nth, error: nth % 2 === 0 ? 'ENOSPC' : 'EIO', pathSuffix: '.sst' });
        const outcome = await runCompaction(vfs, jobFor(level0Plan(files))).then(
          (result) => result,
          (error: unknown) => error as { code?: string },
        );
        vfs.clearFaults();
        if ('added' in outcome) {
          // Past the job's last operation of this kind: it succeeded; remove its outputs.
          for (const file of outcome.added) await vfs.unlink(`${DIR}/${tableFileName(file.fileNumber)}`);
          break;
        }
        failures++;
        expect(outcome.code).toBe(nth % 2 === 0 ? 'NO_SPACE' : 'IO_ERROR');
        expectSameFiles(vfs.snapshotFiles(), before);
      }
      // Several outputs, each written in more than one slice: every file's operations were hit.
      expect(failures).toBeGreaterThan(kind === 'write' ? 10 : 5);
    }
  });

  it('treats a repeated (key, seq) as damage, unless the job says inputs may repeat and the copies are equal', async () => {
    // A repair merges a compaction's leftover inputs with the output that copied them.
    const groups = [
      { level: 0, entries: [put('a', 1), put('c', 2), del('d', 5)] },
      { level: 1, entries: [put('a', 1), put('b', 3), put('c', 2), del('d', 5)] },
    ];
    const { vfs, files } = await setUp(groups);
    await expect(runCompaction(vfs, jobFor(level0Plan(files)))).rejects.toMatchObject({ code: 'CORRUPTION' });
    const result = await runCompaction(vfs, jobFor(level0Plan(files), { inputsMayRepeat: true }));
    expect((await readFiles(vfs, result.added)).map((e) => `${Buffer.from(e.key)}@${e.seq}/${e.kind}`)).toEqual(['a@1/1', 'b@3/1', 'c@2/1', 'd@5/0']);
    expect(result).toMatchObject({ entriesIn: 7, entriesOut: 4, droppedVersions: 3 });
    const differing = await setUp([
      { level: 0, entries: [put('a', 1, 'one')] },
      { level: 1, entries: [put('a', 1, 'another')] },
    ]);
    await expect(runCompaction(differing.vfs, jobFor(level0Plan(differing.files), { inputsMayRepeat: true }))).rejects.toMatchObject({ code: 'CORRUPTION' });
  });

  it('produces no output when everything is deleted at the bottom', async () => {
    const { vfs, files } = await setUp([{ level: 0, entries: [put('a', 1), put('b', 2)] }, { level: 0, entries: [del('a', 3), del('b', 4)] }]);
    const result = await runCompaction(vfs, jobFor(level0Plan(files, true)));
    expect(result.added).toEqual([]);
    expect(result).toMatchObject({ entriesIn: 4, entriesOut: 0, droppedTombstones: 2, droppedVersions: 2, bytesWritten: 0 });
  });

  it('runs the plans of a manual compaction over three levels into a version that reads the same', async () => {
    const level2 = [Array.from({ length: 200 }, (_, i) => put(key(i), i + 1, 'l2')), Array.from({ length: 100 }, (_, i) => put(key(500 + i), 300 + i, 'l2b'))];
    const level1 = Array.from({ length: 100 }, (_, i) => (i % 4 === 0 ? del(key(i * 2), 1000 + i) : put(key(i * 2), 1000 + i, 'l1')));
    const level0 = Array.from({ length: 50 }, (_, i) => put(key(i * 5), 2000 + i, 'l0'));
    const { vfs, files } = await setUp([{ level: 2, entries: level2[0] ?? [] }, { level: 2, entries: level2[1] ?? [] }, { level: 1, entries: level1 }, { level: 0, entries: level0 }]);
    const all = [...(level2[0] ?? []), ...(level2[1] ?? []), ...level1, ...level0];
    let version = versionWith(files);
    const plans = planManualCompaction(version, { end: new TextEncoder().encode(key(300)) }, resolvePolicy());
    expect(plans).toHaveLength(1);
    let next = 100;
    for (const plan of plans) {
      const job = jobFor(plan, { outputFileNumbers: Array.from({ length: outputFileCountFor(plan, 16384) }, () => next++) });
      const result = await runCompaction(vfs, job);
      // 25 deletes, 5 of them under a newer level-0 put (keys that are multiples of 40).
      expect(result.droppedTombstones).toBe(20);
      version = version.apply({ nextFileNumber: next, removedFiles: result.removed, addedFiles: result.added });
    }
    expect(version.levels.slice(0, 2).flat()).toEqual([]);
    const output = await readFiles(vfs, version.levels[2] ?? []);
    for (const entry of all) {
      const before = readAt(all, entry.key, SEQ_MAX);
      const after = readAt(output, entry.key, SEQ_MAX);
      expect(after?.kind === 1 ? Buffer.from(after.value).toString() : undefined).toBe(before?.kind === 1 ? Buffer.from(before.value).toString() : undefined);
    }
  });
});
