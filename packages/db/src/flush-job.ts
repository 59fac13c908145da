/**
 * Writes a frozen memtable to a new page file, in slices: entries are encoded synchronously
 * until about `SLICE_BYTES` are pending, then written with one async write, which also gives
 * the event loop back. So a flush never blocks reads and writes for longer than one slice.
 *
 * Older versions of a key are written only where a live snapshot can still read them (see
 * `RetentionFilter`); iterators keep the memtables they started with and need nothing here.
 */
import type { Memtable } from '@kv/memtable';
import { TableBuilder } from '@kv/sstable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { RetentionFilter } from '@kv/compaction';

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
