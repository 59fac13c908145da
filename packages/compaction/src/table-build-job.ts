/**
 * A table build job: one page file written from a packed run of entries in internal order
 * (the engine's flush of a frozen memtable). Versions no live snapshot can read are left out
 * (`RetentionFilter`, not bottommost: tombstones stay, a deeper level may hold what they hide).
 *
 * The input is plain data and the run's arrays can be transferred, so the job runs the same
 * inline or in a `CompactionWorkerPool` worker (`buildTable`). Pages are written in slices of
 * about `SLICE_BYTES`, which also hands the event loop back when the job runs inline.
 */
import { InvalidArgumentError, compareInternal, newMutableEntry } from '@kv/base';
import { TableBuilder } from '@kv/sstable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { SLICE_BYTES } from './compaction-output.js';
import { checkPackedEntries, packedEntryAt } from './packed-entries.js';
import type { PackedEntries } from '@kv/base';
import { RetentionFilter } from './retention-filter.js';
import type { BuildPriority } from './build-priority.js';

export interface TableBuildJobInput {
  /** The page file to create (it must not exist). */
  path: string;
  build: TableBuildOptions;
  /** Live snapshots' sequence numbers, ascending, the last being the current visible seq. */
  snapshots: readonly number[];
  /** At least one entry, in strictly increasing internal order. */
  entries: PackedEntries;
}

/**
 * Writes, fdatasyncs and closes the page file, and returns its properties. INVALID_ARGUMENT for
 * a malformed or unordered run (nothing is left behind); on any failure the partial file is
 * removed. With `priority`, the build counts there as running until it settles, and
 * compactions given the same one pause meanwhile (see build-priority.ts).
 */
export async function runTableBuild(vfs: Vfs, input: TableBuildJobInput, priority?: BuildPriority): Promise<TableProperties> {
  const { entries } = input;
  checkPackedEntries(entries);
  if (entries.count === 0) throw new InvalidArgumentError('table build', 'has no entries to write');
  const retention = new RetentionFilter(input.snapshots, false);
  const endBuild = priority?.startBuild();
  try {
    return await buildTable(vfs, input, retention);
  } finally {
    endBuild?.();
  }
}

async function buildTable(vfs: Vfs, input: TableBuildJobInput, retention: RetentionFilter): Promise<TableProperties> {
  const { entries } = input;
  const builder = await TableBuilder.create(vfs, input.path, input.build);
  try {
    // One entry object for the whole run; the previous key is a view of the run's own buffers.
    const entry = newMutableEntry();
    let previousKey = entry.key;
    let previousSeq = 0;
    for (let i = 0; i < entries.count; i++) {
      packedEntryAt(entries, i, entry);
      if (i > 0 && compareInternal(previousKey, previousSeq, entry.key, entry.seq) >= 0) throw new InvalidArgumentError('table build', `entry ${i} is not after entry ${i - 1} in internal order`);
      previousKey = entry.key;
      previousSeq = entry.seq;
      if (retention.decide(entry) !== 'keep') continue;
      builder.add(entry.key, entry.seq, entry.kind, entry.value);
      if (builder.pendingBytes >= SLICE_BYTES) await builder.writePending();
    }
    return await builder.finish();
  } catch (error) {
    await builder.abandon();
    throw error;
  }
}
