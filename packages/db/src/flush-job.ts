/**
 * Flushing a memtable: its entries go to a new level-0 page file, its range tombstones to the
 * manifest edit that records the file.
 *
 * The main thread only packs the entries into a `PackedEntries` run (the memtable's `packer`
 * copies seqs, kinds and references out of its store in internal order; the keys and values
 * stay where they are), in slices of `PACK_SLICE_ENTRIES` with the event loop handed back
 * between slices. Encoding and writing the page file is a
 * table build job (`runTableBuild`), which the engine runs in a worker thread when it has
 * one, so a flush costs the write path almost nothing; without one it runs inline, writing in
 * slices too.
 *
 * Older versions of a key are written only where a live snapshot can still read them (see
 * `RetentionFilter`); iterators keep the memtables they started with and need nothing here.
 */
// The real setImmediate even under an application's fake timers (see event-loop-turns.ts).
import { setImmediate } from 'node:timers';
import type { FileNum, PackedEntries } from '@kv/base';
import { runTableBuild, toFileMeta } from '@kv/compaction';
import type { BuildPriority, TableBuildJobInput } from '@kv/compaction';
import type { VersionEdit } from '@kv/manifest';
import type { Memtable } from '@kv/memtable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { tableFileName } from './file-names.js';

/** Runs a table build job: inline (`runTableBuild`) or in a worker (`CompactionWorkerPool.buildTable`). */
export type TableBuildRunner = (input: TableBuildJobInput) => Promise<TableProperties>;

/** Entries packed between two turns of the event loop: about 0.2 ms of work (50 ns an entry). */
const PACK_SLICE_ENTRIES = 4096;

/** Packs every entry of the frozen `memtable` (in internal order), yielding to the event loop between slices. */
export async function packMemtable(memtable: Memtable): Promise<PackedEntries> {
  const packer = memtable.packer();
  while (!packer.pack(PACK_SLICE_ENTRIES)) await new Promise<void>((resolve) => setImmediate(resolve));
  return packer.finish();
}

export interface FlushedMemtable {
  /** The added level-0 file and the range tombstones, plus `lastSequence`. */
  edit: VersionEdit;
  /** The new file's path, or undefined when the memtable held only range tombstones. */
  path: string | undefined;
  bytesWritten: number;
}

/**
 * Writes `memtable` as a level-0 file (none when it holds no entries) and returns the edit
 * that records it. The caller syncs the directory when `path` is set, then logs the edit.
 */
export async function flushMemtable(options: {
  vfs: Vfs;
  dir: string;
  memtable: Memtable;
  build: TableBuildOptions;
  snapshots: readonly number[];
  allocateFileNumber: () => FileNum;
  /** Default: inline on `vfs`. */
  buildTable?: TableBuildRunner;
  /** For an inline build: the database's own, so its inline compactions pause meanwhile. */
  priority?: BuildPriority;
  /** The memtable's entries packed ahead (`packMemtable`); default: packed now. */
  packed?: Promise<PackedEntries>;
}): Promise<FlushedMemtable> {
  const { memtable } = options;
  const edit: VersionEdit = { lastSequence: memtable.seqMax ?? 0 };
  if (memtable.rangeTombstones.length > 0) edit.addedRangeTombstones = [...memtable.rangeTombstones];
  if (memtable.entryCount === 0) return { edit, path: undefined, bytesWritten: 0 };
  const fileNumber = options.allocateFileNumber();
  const path = `${options.dir}/${tableFileName(fileNumber)}`;
  const entries = await (options.packed ?? packMemtable(memtable));
  const input: TableBuildJobInput = { path, build: options.build, snapshots: options.snapshots, entries };
  const properties = options.buildTable === undefined ? await runTableBuild(options.vfs, input, options.priority) : await options.buildTable(input);
  edit.addedFiles = [toFileMeta(0, fileNumber, properties)];
  return { edit, path, bytesWritten: properties.fileSizeBytes };
}
