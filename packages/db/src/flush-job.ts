/**
 * Writes a frozen memtable to a new page file, in slices: entries are encoded synchronously
 * until about `SLICE_BYTES` are pending, then written with one async write, which also gives
 * the event loop back. So a flush never blocks reads and writes for longer than one slice.
 *
 * Only the newest version of each key is written. That is safe because nothing reads an
 * older version from a page file: iterators keep the memtables they started with.
 */
import { equalBytes } from '@kv/base';
import type { Memtable } from '@kv/memtable';
import { TableBuilder } from '@kv/sstable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';

const SLICE_BYTES = 256 * 1024;

export async function writeMemtableTable(options: {
  vfs: Vfs;
  path: string;
  memtable: Memtable;
  build: TableBuildOptions;
}): Promise<TableProperties> {
  const builder = await TableBuilder.create(options.vfs, options.path, options.build);
  try {
    const iterator = options.memtable.iterator();
    let previousKey: Uint8Array | undefined;
    for (iterator.seekToFirst(); iterator.valid; iterator.next()) {
      const { key, seq, kind, value } = iterator.entry;
      if (previousKey !== undefined && equalBytes(previousKey, key)) continue;
      previousKey = key;
      builder.add(key, seq, kind, value);
      if (builder.pendingBytes >= SLICE_BYTES) await builder.writePending();
    }
    return await builder.finish();
  } catch (error) {
    await builder.abandon();
    throw error;
  }
}
