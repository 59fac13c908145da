/**
 * Flushing memtables: their entries go to a new level-0 page file, their range tombstones to
 * the manifest edit that records the file. A flush usually writes one memtable; small ones
 * are written two at a time (see flusher.ts), merged by the table build job.
 *
 * The main thread only hands over each memtable's store and its ids in internal order
 * (`Memtable.indexed`: sequential copies of the store's arrays and of the ids; the keys and
 * values stay where they are).
 * Gathering the entries in that order, encoding and writing the page file is a table build
 * job (`runTableBuild`), which the engine runs in a worker thread when it has one, so a flush
 * costs the write path almost nothing; without one it runs inline, writing in slices too.
 *
 * Older versions of a key are written only where a live snapshot can still read them (see
 * `RetentionFilter`); iterators keep the memtables they started with and need nothing here.
 */
import type { FileNum, IndexedEntries } from '@kv/base';
import { runTableBuild, toFileMeta } from '@kv/compaction';
import type { BuildPriority, TableBuildJobInput } from '@kv/compaction';
import type { VersionEdit } from '@kv/manifest';
import type { Memtable } from '@kv/memtable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { tableFileName } from './file-names.js';

/** Runs a table build job: inline (`runTableBuild`) or in a worker (`CompactionWorkerPool.buildTable`). */
export type TableBuildRunner = (input: TableBuildJobInput) => Promise<TableProperties>;

export interface FlushedMemtable {
  /** The added level-0 file and the range tombstones, plus `lastSequence`. */
  edit: VersionEdit;
  /** The new file's path, or undefined when the memtables held only range tombstones. */
  path: string | undefined;
  bytesWritten: number;
}

/**
 * Writes `memtables` (consecutive frozen memtables, any order) as one level-0 file (none
 * when they hold no entries) and returns the edit that records it with all their range
 * tombstones. The caller syncs the directory when `path` is set, then logs the edit.
 */
export async function flushMemtables(options: {
  vfs: Vfs;
  dir: string;
  memtables: readonly Memtable[];
  build: TableBuildOptions;
  snapshots: readonly number[];
  allocateFileNumber: () => FileNum;
  /** Default: inline on `vfs`. */
  buildTable?: TableBuildRunner;
  /** For an inline build: the database's own, so its inline compactions pause meanwhile. */
  priority?: BuildPriority;
  /** The memtables' entries (`Memtable.indexed`), one per memtable; default: taken now. */
  runs?: readonly IndexedEntries[];
}): Promise<FlushedMemtable> {
  const { memtables } = options;
  const edit: VersionEdit = { lastSequence: Math.max(0, ...memtables.map((memtable) => memtable.seqMax ?? 0)) };
  const rangeTombstones = memtables.flatMap((memtable) => memtable.rangeTombstones);
  if (rangeTombstones.length > 0) edit.addedRangeTombstones = rangeTombstones;
  if (memtables.every((memtable) => memtable.entryCount === 0)) return { edit, path: undefined, bytesWritten: 0 };
  const fileNumber = options.allocateFileNumber();
  const path = `${options.dir}/${tableFileName(fileNumber)}`;
  const runs = options.runs ?? memtables.map((memtable) => memtable.indexed());
  // A memtable of range tombstones only has no entries to merge.
  const input: TableBuildJobInput = { path, build: options.build, snapshots: options.snapshots, entries: runs.filter((run) => run.entries.count > 0) };
  const properties = options.buildTable === undefined ? await runTableBuild(options.vfs, input, options.priority) : await options.buildTable(input);
  edit.addedFiles = [toFileMeta(0, fileNumber, properties)];
  return { edit, path, bytesWritten: properties.fileSizeBytes };
}
