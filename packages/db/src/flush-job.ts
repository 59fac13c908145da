/**
 * Flushing a memtable: its entries go to a new level-0 page file, its range tombstones to the
 * manifest edit that records the file.
 *
 * The page file is written in slices: entries are encoded synchronously
 * until about `SLICE_BYTES` are pending, then written with one async write, which also gives
 * the event loop back. So a flush never blocks reads and writes for longer than one slice.
 *
 * Older versions of a key are written only where a live snapshot can still read them (see
 * `RetentionFilter`); iterators keep the memtables they started with and need nothing here.
 */
import type { FileNum } from '@kv/base';
import { RetentionFilter, toFileMeta } from '@kv/compaction';
import type { VersionEdit } from '@kv/manifest';
import type { Memtable } from '@kv/memtable';
import { TableBuilder } from '@kv/sstable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { tableFileName } from './file-names.js';

const SLICE_BYTES = 256 * 1024;

export async function writeMemtableTable(options: {
  vfs: Vfs;
  path: string;
  memtable: Memtable;
  build: TableBuildOptions;
  /** Live snapshot sequence numbers, ascending. */
  snapshots: readonly number[];
}): Promise<TableProperties> {
  const builder = await TableBuilder.create(options.vfs, options.path, options.build);
  try {
    const iterator = options.memtable.iterator();
    const retention = new RetentionFilter(options.snapshots, false);
    for (iterator.seekToFirst(); iterator.valid; iterator.next()) {
      const { key, seq, kind, value } = iterator.entry;
      if (retention.decide(iterator.entry) !== 'keep') continue;
      builder.add(key, seq, kind, value);
      if (builder.pendingBytes >= SLICE_BYTES) await builder.writePending();
    }
    return await builder.finish();
  } catch (error) {
    await builder.abandon();
    throw error;
  }
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
}): Promise<FlushedMemtable> {
  const { memtable } = options;
  const edit: VersionEdit = { lastSequence: memtable.seqMax ?? 0 };
  if (memtable.rangeTombstones.length > 0) edit.addedRangeTombstones = [...memtable.rangeTombstones];
  if (memtable.entryCount === 0) return { edit, path: undefined, bytesWritten: 0 };
  const fileNumber = options.allocateFileNumber();
  const path = `${options.dir}/${tableFileName(fileNumber)}`;
  const properties = await writeMemtableTable({ vfs: options.vfs, path, memtable, build: options.build, snapshots: options.snapshots });
  edit.addedFiles = [toFileMeta(0, fileNumber, properties)];
  return { edit, path, bytesWritten: properties.fileSizeBytes };
}
