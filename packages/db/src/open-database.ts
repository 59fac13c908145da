/**
 * Opening a database directory: checks, the lock, the manifest, WAL replay, and the live WAL
 * segment: the empty one a clean close left, continued, or a fresh one. Replayed writes are
 * flushed to a level-0 page file before the database is handed out, so after open exactly
 * one WAL segment (empty) is live and reopening never replays a segment twice. Every failure
 * after the lock was taken releases it.
 */
import { dirname } from 'node:path';
import { CorruptionError, InvalidArgumentError, assert, isKvError, toFileNum, toSeqNum } from '@kv/base';
import type { FileNum, SeqNum } from '@kv/base';
import { Manifest, Version } from '@kv/manifest';
import type { VersionEdit } from '@kv/manifest';
import type { Memtable } from '@kv/memtable';
import { BlockCache, TableReader } from '@kv/sstable';
import type { Vfs, VfsLock } from '@kv/vfs';
import { HEADER_RECORD_BYTES_V1, SyncLatencyGate } from '@kv/wal';
import { checkCreationRecord, creationRecord } from './creation-options.js';
import { classifyFileName, logFileName } from './file-names.js';
import { flushMemtables } from './flush-job.js';
import { LOCK_FILE_NAME } from './format.js';
import { removeObsoleteFiles } from './obsolete-files.js';
import { compressionForLevel } from './options.js';
import type { ResolvedOptions } from './options.js';
import { recoverWal } from './recover-wal.js';
import { TableSet } from './table-set.js';
import { resumeSegment, startSegment } from './wal-segment.js';
import type { WalSegment } from './wal-segment.js';
import { newEngineMemtable } from './memory-plan.js';

export interface OpenedDatabase {
  lock: VfsLock;
  manifest: Manifest;
  cache: BlockCache;
  tables: TableSet;
  memtable: Memtable;
  wal: WalSegment;
  lastSeq: SeqNum;
  pageSizeBytes: number;
  fixedWidth: { keySize: number; valueSize: number } | undefined;
}

export async function openDatabase(dir: string, options: ResolvedOptions): Promise<OpenedDatabase> {
  await prepareDirectory(dir, options);
  const lock = await options.vfs.lock(`${dir}/${LOCK_FILE_NAME}`);
  const opened: Closer[] = [() => lock.release()];
  try {
    return await recoverUnderLock(dir, options, lock, opened);
  } catch (error) {
    // Release what this open acquired, newest first; the original error is what the caller sees.
    for (const close of opened.reverse()) await close().catch(() => undefined);
    throw error;
  }
}

type Closer = () => Promise<void>;

async function prepareDirectory(dir: string, options: ResolvedOptions): Promise<void> {
  const stat = await options.vfs.stat(dir);
  if (stat !== undefined && !stat.isDirectory) throw new InvalidArgumentError('database directory', `${dir} is not a directory`);
  if (stat !== undefined) return;
  if (!options.createIfMissing) throw new InvalidArgumentError('database directory', `${dir} does not exist (createIfMissing is false)`);
  await options.vfs.mkdir(dir, { recursive: true });
  // A new directory's own entry is durable only once its parent is synced.
  await options.vfs.syncDir(dirname(dir));
}

interface DirectoryScan {
  logs: FileNum[];
  tables: number;
  maxNumber: number;
  hasCurrent: boolean;
}

async function scanDirectory(vfs: Vfs, dir: string): Promise<DirectoryScan> {
  const scan: DirectoryScan = { logs: [], tables: 0, maxNumber: 0, hasCurrent: false };
  for (const name of await vfs.list(dir)) {
    const file = classifyFileName(name);
    if (file.number !== undefined) scan.maxNumber = Math.max(scan.maxNumber, file.number);
    if (file.kind === 'log' && file.number !== undefined) scan.logs.push(file.number);
    if (file.kind === 'table') scan.tables++;
    if (file.kind === 'current') scan.hasCurrent = true;
  }
  scan.logs.sort((a, b) => a - b);
  return scan;
}

async function recoverUnderLock(dir: string, options: ResolvedOptions, lock: VfsLock, opened: Closer[]): Promise<OpenedDatabase> {
  const { vfs } = options;
  const scan = await scanDirectory(vfs, dir);
  // Decided from the listing alone: opening the manifest may already rewrite it.
  if ((scan.hasCurrent || scan.logs.length > 0) && options.errorIfExists) {
    throw new InvalidArgumentError('database directory', `a database already exists in ${dir} (errorIfExists is true)`);
  }
  const existing = await Manifest.open(vfs, dir);
  // The manifest that was replayed, to name in errors (opening may rewrite it under a new number).
  const previousManifest = existing?.previousManifestName;
  if (existing !== undefined) opened.push(() => existing.manifest.close());
  if (existing === undefined && scan.tables > 0) {
    throw new CorruptionError(`${dir}/CURRENT`, 'missing while page files exist; DB.repair can rebuild the manifest');
  }
  const { manifest, version } = existing ?? (await createManifest(vfs, dir, options, scan.maxNumber + 1));
  if (existing === undefined) opened.push(() => manifest.close());
  const allocate = (): FileNum => toFileNum(manifest.allocateFileNumber());
  const record = version.options ?? creationRecord(options);
  checkCreationRecord(record, options);
  // A manifest never opened by the engine (one edit besides close markers: a checkpoint or
  // repair of a build that recorded a logNumber without a segment) in a directory without any
  // WAL at or below its log number needs none. A segment above it can only be the empty one a
  // failed open left (an open that got further would have logged an edit): it must not turn
  // the next open into a CORRUPTION.
  const neverOpened = existing !== undefined && existing.editCount === 1 && scan.logs.every((n) => n > version.logNumber);
  if (version.logNumber > 0 && !neverOpened && !scan.logs.includes(toFileNum(version.logNumber))) {
    // Its writes are in no page file the manifest names: opening would serve older values.
    const segment = logFileName(toFileNum(version.logNumber));
    if (existing?.replay.stoppedEarly === true && previousManifest !== undefined) {
      throw new CorruptionError(`${dir}/${previousManifest}`, `its last edit was damaged or cut and dropped, and WAL segment ${segment}, which that edit made obsolete, is gone: writes would be missing; DB.repair can rebuild from the page files`);
    }
    // A manifest cut exactly at an edit boundary reads as a shorter, valid one: either file may be at fault.
    throw new CorruptionError(`${dir}/${segment}`, `WAL segment that ${previousManifest ?? 'the manifest'} needs is missing (deleted, or the manifest lost its last edits); DB.repair can rebuild from what is left`);
  }
  // The live WAL segment, then the page files the manifest names, open while the old
  // segments are replayed and the manifest edit is written: all of it mostly waits on the
  // disk (the segment first, so its few operations do not queue behind the page files').
  // Should the open fail, a new segment is closed and left: an empty segment replays as
  // nothing, and the next open removes it once it is obsolete.
  const logs = scan.logs.filter((n) => n >= version.logNumber);
  const segmentOptions = { memtableSizeBytes: options.memory.memtableSizeBytes, syncGate: new SyncLatencyGate(options.blockingSyncMaxMs) };
  const walStarted = startLiveSegment({ vfs, dir, version, logs, allocate, segmentOptions });
  // Handled at once, so a failure while the replay runs is not an unhandled rejection; the
  // await below still throws it.
  const walSettled = walStarted.catch(() => undefined);
  opened.push(async () => {
    await (await walSettled)?.writer.close();
  });
  const cache = new BlockCache({ capacityBytes: options.memory.cacheCapacityBytes });
  const tables = new TableSet({ vfs, dir, cache });
  const namedTablesOpened = tables.install(version);
  opened.push(async () => {
    await namedTablesOpened.catch(() => undefined);
    await tables.close();
  });
  const replayed = await recoverWal({ vfs, dir, mode: options.walRecoveryMode, logs, lastSeq: toSeqNum(version.lastSequence) });
  await checkUnnamedTables({ vfs, dir, version, manifestName: previousManifest, firstReplayedSeq: replayed.memtable.seqMin });
  const wal = await walStarted;
  // A continued segment held nothing but its header, and this open holds the lock.
  assert(wal.number !== version.logNumber || replayed.memtable.isEmpty, 'a continued WAL segment replays as nothing');
  let edit: VersionEdit = { logNumber: wal.number, lastSequence: replayed.lastSeq };
  if (!replayed.memtable.isEmpty) {
    const build = { pageSizeBytes: record.pageSizeBytes, compression: compressionForLevel(options.compression, 0), bloomBitsPerKey: options.bloomBitsPerKey, ...(record.fixedWidth === undefined ? {} : { fixedWidth: record.fixedWidth }) };
    const flushed = await flushMemtables({ vfs, dir, memtables: [replayed.memtable], build, snapshots: [], allocateFileNumber: allocate });
    if (flushed.path !== undefined) await vfs.syncDir(dir);
    edit = { ...flushed.edit, ...edit };
  }
  // Nothing to record when the manifest stayed live, already names the continued segment and
  // the replay added nothing. A manifest of one edit still gets the edit: its edit count tells
  // a manifest no open has written to (see `neverOpened`).
  const unchanged = existing?.reused === true && existing.editCount > 1 && wal.number === version.logNumber && replayed.memtable.isEmpty;
  const current = unchanged ? version : await manifest.logAndApply(edit);
  await removeObsoleteFiles({ vfs, dir, version: current, activeWal: wal.number, manifestNumber: manifest.manifestNumber });
  await namedTablesOpened;
  await tables.install(current);
  if (options.paranoidChecks) await tables.checkEveryPage();
  return { lock, manifest, cache, tables, memtable: newEngineMemtable(), wal, lastSeq: replayed.lastSeq, pageSizeBytes: record.pageSizeBytes, fixedWidth: record.fixedWidth };
}

/**
 * The segment writes go to after open. The one the manifest names is continued when it is the
 * only one to replay and holds nothing but a valid header (no zeros ahead: a clean close
 * leaves that; `openForAppend` checks both, CORRUPTION otherwise); the replay then reads it as
 * empty. Otherwise a new segment is created.
 */
async function startLiveSegment(options: {
  vfs: Vfs;
  dir: string;
  version: Version;
  logs: readonly FileNum[];
  allocate: () => FileNum;
  segmentOptions: { memtableSizeBytes: number; syncGate: SyncLatencyGate };
}): Promise<WalSegment> {
  const { vfs, dir, version, logs, segmentOptions } = options;
  const [only] = logs;
  if (logs.length === 1 && only !== undefined && only === version.logNumber) {
    const resumed = await resumeSegment(vfs, dir, { number: only, endOffset: HEADER_RECORD_BYTES_V1, ...segmentOptions }).catch((error: unknown) => {
      if (isKvError(error, 'CORRUPTION')) return undefined;
      throw error;
    });
    if (resumed !== undefined) return resumed;
  }
  return startSegment(vfs, dir, { number: options.allocate(), ...segmentOptions });
}

/** A new database's manifest, numbered above every numbered file already in the directory. */
async function createManifest(vfs: Vfs, dir: string, options: ResolvedOptions, manifestNumber: number): Promise<{ manifest: Manifest; version: Version }> {
  const version = Version.empty().apply({ options: creationRecord(options), nextFileNumber: manifestNumber + 1, logNumber: 0, lastSequence: 0 });
  const manifest = await Manifest.create(vfs, dir, { manifestNumber, version });
  return { manifest, version };
}

/**
 * A page file the manifest does not name is normally an orphan: the output of a flush or
 * compaction whose edit never became durable, which open deletes. But a file holding writes
 * newer than the manifest's last sequence that no WAL segment replays means the manifest
 * lost an edit (a damaged or cut last record, dropped as a torn tail): deleting the file
 * would lose acknowledged writes. That is CORRUPTION naming the manifest and the file, which
 * is kept for DB.repair. A file that does not open is a partial write and stays deletable.
 */
async function checkUnnamedTables(options: { vfs: Vfs; dir: string; version: Version; manifestName: string | undefined; firstReplayedSeq: number | undefined }): Promise<void> {
  const { vfs, dir, version } = options;
  const named = new Set(version.files().map((file) => file.fileNumber));
  for (const name of await vfs.list(dir)) {
    const file = classifyFileName(name);
    if (file.kind !== 'table' || file.number === undefined || named.has(file.number)) continue;
    const reader = await TableReader.open(vfs, `${dir}/${name}`, { fileNumber: file.number }).catch(() => undefined);
    if (reader === undefined) continue;
    const { seqMin, seqMax } = reader.properties;
    await reader.close();
    const replayed = options.firstReplayedSeq !== undefined && seqMin >= options.firstReplayedSeq;
    if (seqMax > version.lastSequence && !replayed) {
      throw new CorruptionError(`${dir}/${options.manifestName ?? 'MANIFEST'}`, `lost the edit recording ${name} (sequence numbers ${seqMin}..${seqMax}, past the manifest's ${version.lastSequence}); the file is kept: DB.repair can rebuild the manifest`);
    }
  }
}
