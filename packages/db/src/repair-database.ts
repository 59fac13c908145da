/**
 * Rebuilds a database whose manifest or files are damaged from what survives, keeping only
 * what can be proven good:
 * 1. every page file is opened and verified page by page; a damaged one is moved to `lost/`
 *    (never deleted, so nothing salvageable is destroyed);
 * 2. every WAL segment is replayed in 'skipCorrupted' mode and written to a page file;
 * 3. all surviving files are merged into the bottom level by one compaction job. Merging by
 *    sequence number, not by file number, puts versions back in the right order whatever
 *    level each file came from, and copies of one write (a compaction's inputs left beside its
 *    output by a crash) merge into one;
 * 4. a fresh manifest and CURRENT name the result, and only then are the inputs, the
 *    segments and the old manifests deleted.
 * A crash during repair leaves a directory that repair can be run on again.
 */
import { InvalidArgumentError, toFileNum, toSeqNum } from '@kv/base';
import type { FileNum } from '@kv/base';
import { runCompaction, toFileMeta } from '@kv/compaction';
import { Manifest, Version, readManifest, readManifestFile } from '@kv/manifest';
import type { ManifestReplay } from '@kv/manifest';
import type { DatabaseOptionsRecord, TableFileMeta } from '@kv/manifest';
import { TableReader } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { classifyFileName } from './file-names.js';
import { flushMemtables } from './flush-job.js';
import { LOCK_FILE_NAME } from './format.js';
import { PAGE_SIZE_DEFAULT_BYTES } from './creation-options.js';
import { recoverWal } from './recover-wal.js';

export interface RepairReport {
  /** Page files that verified and were merged. */
  tablesKept: number;
  /** Page files that failed verification, moved to `lost/`, with the reason. */
  tablesLost: { name: string; reason: string }[];
  /** WAL segments replayed (damaged records skipped). */
  logsReplayed: number;
  /** Bytes of damaged WAL records skipped during the replay. */
  walBytesDropped: number;
  /** Entries in the rebuilt database's page files. */
  entries: number;
}

interface Survivors {
  metas: TableFileMeta[];
  lost: { name: string; reason: string }[];
  options: DatabaseOptionsRecord | undefined;
  maxSeq: number;
}

export async function repairDatabase(vfs: Vfs, dir: string): Promise<RepairReport> {
  const stat = await vfs.stat(dir);
  if (stat === undefined || !stat.isDirectory) throw new InvalidArgumentError('repair', `${dir} is not a directory`);
  const lock = await vfs.lock(`${dir}/${LOCK_FILE_NAME}`);
  try {
    return await repairUnderLock(vfs, dir);
  } finally {
    await lock.release();
  }
}

async function repairUnderLock(vfs: Vfs, dir: string): Promise<RepairReport> {
  const names = await vfs.list(dir);
  let next = 1 + Math.max(0, ...names.map((name) => classifyFileName(name).number ?? 0));
  const allocate = (): FileNum => toFileNum(next++);
  const recorded = await readManifest(vfs, dir).catch(() => undefined) ?? (await newestReadableManifest(vfs, dir, names));
  const survivors = await verifyTables(vfs, dir, names);
  const options = recorded?.version.options ?? survivors.options ?? { pageSizeBytes: PAGE_SIZE_DEFAULT_BYTES };
  const logs = names.flatMap((name) => (classifyFileName(name).kind === 'log' ? [classifyFileName(name).number ?? toFileNum(0)] : [])).sort((a, b) => a - b);
  const replayed = await recoverWal({ vfs, dir, mode: 'skipCorrupted', logs, lastSeq: toSeqNum(0) }).catch(() => undefined);
  const build = { pageSizeBytes: options.pageSizeBytes, compression: 'none' as const, bloomBitsPerKey: 10, ...(options.fixedWidth === undefined ? {} : { fixedWidth: options.fixedWidth }) };
  // Range tombstones: the manifest's (when it still reads) and the WAL's. They go into the new
  // version as they are; the merge below keeps every entry, so they still hide what they hid.
  const rangeTombstones = [...(recorded?.version.rangeTombstones ?? [])];
  if (replayed !== undefined && !replayed.memtable.isEmpty) {
    const flushed = await flushMemtables({ vfs, dir, memtables: [replayed.memtable], build, snapshots: [], allocateFileNumber: allocate });
    survivors.metas.push(...(flushed.edit.addedFiles ?? []));
    rangeTombstones.push(...(flushed.edit.addedRangeTombstones ?? []).filter((t) => !rangeTombstones.some((known) => known.seq === t.seq)));
    survivors.maxSeq = Math.max(survivors.maxSeq, flushed.edit.lastSequence ?? 0);
  }
  for (const tombstone of rangeTombstones) survivors.maxSeq = Math.max(survivors.maxSeq, tombstone.seq);
  const outputs = await mergeToBottom(vfs, dir, survivors, { build, allocate });
  await vfs.syncDir(dir);
  if ((await vfs.stat(`${dir}/CURRENT`)) !== undefined) await vfs.unlink(`${dir}/CURRENT`);
  const manifestNumber = allocate();
  // No WAL segment survives a repair (removeReplaced deletes them all): logNumber 0 says so.
  const version = Version.empty().apply({ options, nextFileNumber: next + 1, logNumber: 0, lastSequence: survivors.maxSeq, addedFiles: outputs, addedRangeTombstones: rangeTombstones });
  await (await Manifest.create(vfs, dir, { manifestNumber, version })).close();
  await removeReplaced(vfs, dir, { keep: new Set(outputs.map((f) => f.fileNumber)), manifestNumber });
  return { tablesKept: survivors.metas.length, tablesLost: survivors.lost, logsReplayed: logs.length, walBytesDropped: replayed?.droppedBytes ?? 0, entries: outputs.reduce((sum, f) => sum + f.entryCount, 0) };
}

/** Opens and verifies every page file; moves damaged ones to `lost/`. */
async function verifyTables(vfs: Vfs, dir: string, names: readonly string[]): Promise<Survivors> {
  const survivors: Survivors = { metas: [], lost: [], options: undefined, maxSeq: 0 };
  for (const name of names) {
    const file = classifyFileName(name);
    if (file.kind !== 'table' || file.number === undefined) continue;
    try {
      const reader = await TableReader.open(vfs, `${dir}/${name}`, { fileNumber: file.number });
      try {
        await reader.verify();
        const properties = reader.properties;
        survivors.metas.push(toFileMeta(0, file.number, properties));
        survivors.maxSeq = Math.max(survivors.maxSeq, properties.seqMax);
        survivors.options ??= { pageSizeBytes: properties.pageSizeBytes, ...(properties.fixedWidth === undefined ? {} : { fixedWidth: properties.fixedWidth }) };
      } finally {
        await reader.close();
      }
    } catch (error) {
      await vfs.mkdir(`${dir}/lost`, { recursive: true });
      await vfs.rename(`${dir}/${name}`, `${dir}/lost/${name}`);
      survivors.lost.push({ name, reason: error instanceof Error ? error.message : String(error) });
    }
  }
  return survivors;
}

/** Merges every surviving file into level 1 (the rebuilt bottom) with one compaction job. */
async function mergeToBottom(vfs: Vfs, dir: string, survivors: Survivors, context: { build: { pageSizeBytes: number; compression: 'none'; bloomBitsPerKey: number }; allocate: () => FileNum }): Promise<TableFileMeta[]> {
  if (survivors.metas.length === 0) return [];
  const inputBytes = survivors.metas.reduce((sum, f) => sum + f.sizeBytes, 0);
  const targetFileSizeBytes = 4 * 1024 * 1024;
  const outputFileNumbers = Array.from({ length: Math.ceil((2 * inputBytes) / targetFileSizeBytes) + 2 }, () => context.allocate());
  const plan = { inputLevel: 0, outputLevel: 1, inputs: survivors.metas, overlaps: [], bottommost: true, reason: 'manual' as const };
  // A crash after a compaction's manifest edit leaves its inputs beside its outputs: the same
  // writes twice, which the merge drops as copies.
  const result = await runCompaction(vfs, { dir, plan, outputFileNumbers, snapshots: [survivors.maxSeq], build: context.build, targetFileSizeBytes, inputsMayRepeat: true });
  return result.added.map((file) => ({ ...file, level: 1 }));
}

async function removeReplaced(vfs: Vfs, dir: string, live: { keep: Set<number>; manifestNumber: number }): Promise<void> {
  for (const name of await vfs.list(dir)) {
    const file = classifyFileName(name);
    const replaced =
      (file.kind === 'table' && !live.keep.has(file.number ?? -1)) ||
      file.kind === 'log' ||
      file.kind === 'temp' ||
      (file.kind === 'manifest' && file.number !== live.manifestNumber);
    if (replaced) await vfs.unlink(`${dir}/${name}`).catch(() => undefined);
  }
}

/**
 * Without a readable CURRENT, the newest MANIFEST file that replays: it still holds the
 * options and the range tombstones flushed from memtables (which live nowhere else).
 */
async function newestReadableManifest(vfs: Vfs, dir: string, names: readonly string[]): Promise<ManifestReplay | undefined> {
  const manifests = names
    .map((name) => ({ name, file: classifyFileName(name) }))
    .filter(({ file }) => file.kind === 'manifest')
    .sort((a, b) => (b.file.number ?? 0) - (a.file.number ?? 0));
  for (const { name } of manifests) {
    const replay = await readManifestFile(vfs, dir, name).catch(() => undefined);
    if (replay !== undefined) return replay;
  }
  return undefined;
}
