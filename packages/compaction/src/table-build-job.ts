/**
 * A table build job: one page file written from a packed run of entries in internal order
 * (the engine's flush of a frozen memtable), or from several runs merged into that order (a
 * flush of two small memtables as one file). Versions no live snapshot can read are left out
 * (`RetentionFilter`, not bottommost: tombstones stay, a deeper level may hold what they hide).
 *
 * The input is plain data and the run's arrays can be transferred, so the job runs the same
 * inline or in a `CompactionWorkerPool` worker (`buildTable`). Pages are written in slices of
 * about `SLICE_BYTES`, which also hands the event loop back when the job runs inline.
 */
import { EntryKind, InvalidArgumentError, PACKED_REF_FIELDS, toSeqNum } from '@kv/base';
import type { InternalEntry, PackedEntries, SeqNum } from '@kv/base';
import { TableBuilder } from '@kv/sstable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { SLICE_BYTES } from './compaction-output.js';
import { bufferViews, comparePackedKeys, mergePackedRuns, packedBytesAt, runsOf, startGather } from './packed-entries.js';
import type { PackedRuns } from './packed-entries.js';
import { RetentionFilter } from './retention-filter.js';
import type { BuildPriority } from './build-priority.js';
import { yieldToEventLoop } from './yield-to-event-loop.js';

export interface TableBuildJobInput {
  /** The page file to create (it must not exist). */
  path: string;
  build: TableBuildOptions;
  /** Live snapshots' sequence numbers, ascending, the last being the current visible seq. */
  snapshots: readonly number[];
  /**
   * At least one entry, in strictly increasing internal order: one run, or several (the
   * memtables of one flush) that the job merges into that order first. A run is in that order
   * or indexed (`IndexedEntries`: a memtable's store and its ids in that order), which the
   * job gathers first (`sortedRunOf`).
   */
  entries: PackedRuns;
}

/**
 * Writes, fdatasyncs and closes the page file, and returns its properties. INVALID_ARGUMENT for
 * a malformed or unordered run (nothing is left behind); on any failure the partial file is
 * removed. With `priority`, the build counts there as running until it settles, and
 * compactions given the same one pause meanwhile (see build-priority.ts).
 */
export async function runTableBuild(vfs: Vfs, input: TableBuildJobInput, priority?: BuildPriority): Promise<TableProperties> {
  const endBuild = priority?.startBuild();
  try {
    const entries = mergePackedRuns(await sortedRunsOf(input.entries));
    if (entries.count === 0) throw new InvalidArgumentError('table build', 'has no entries to write');
    return await buildTable(vfs, input.path, input.build, entries, new RetentionFilter(input.snapshots, false));
  } finally {
    endBuild?.();
  }
}

/** Entries gathered between two turns of the event loop: well under a millisecond of work. */
const GATHER_SLICE_ENTRIES = 4096;

/**
 * Every run of `runs` checked and in internal order, the indexed ones gathered a slice at a
 * time with the event loop handed back between slices (an inline build shares the engine's
 * thread).
 */
async function sortedRunsOf(runs: PackedRuns): Promise<PackedEntries[]> {
  // Array.from, not map or for...of over holes: a hole is checked (and refused) like any other run.
  const gathers = Array.from(runsOf(runs), startGather);
  for (const gather of gathers) while (!gather.next(GATHER_SLICE_ENTRIES)) await yieldToEventLoop();
  return gathers.map((gather) => gather.sorted);
}

async function buildTable(vfs: Vfs, path: string, options: TableBuildOptions, entries: PackedEntries, retention: RetentionFilter): Promise<TableProperties> {
  const builder = await TableBuilder.create(vfs, path, options);
  try {
    // Keys and values go to the builder as ranges of one view per buffer: no view per entry.
    const { refs, seqs, kinds } = entries;
    const views = bufferViews(entries);
    const entry = new LazyPackedEntry(entries);
    let previousAt = 0;
    let previousSeq = 0;
    for (let i = 0; i < entries.count; i++) {
      const at = PACKED_REF_FIELDS * i;
      const keyBytes = views[refs[at] as number] as Uint8Array;
      const keyStart = refs[at + 1] as number;
      const keyLength = refs[at + 2] as number;
      const seq = toSeqNum(seqs[i] as number);
      let startsKey = true;
      if (i > 0) {
        // Internal order: user key ascending, then seq descending.
        const byKey = comparePackedKeys(views, refs, previousAt, views, refs, at);
        if (byKey > 0 || (byKey === 0 && seq >= previousSeq)) throw new InvalidArgumentError('table build', `entry ${i} is not after entry ${i - 1} in internal order`);
        startsKey = byKey !== 0;
      }
      previousAt = at;
      previousSeq = seq;
      entry.moveTo(i, seq, kinds[i] as EntryKind);
      if (retention.decideVersion(startsKey, entry) !== 'keep') continue;
      builder.addRange(keyBytes, keyStart, keyLength, seq, entry.kind, views[refs[at + 3] as number] as Uint8Array, refs[at + 4] as number, refs[at + 5] as number);
      if (builder.pendingBytes >= SLICE_BYTES) {
        // The slice is written while the next one is encoded.
        const writing = builder.writePendingBehind();
        if (writing !== undefined) await writing;
      }
    }
    return await builder.finish();
  } catch (error) {
    await builder.abandon();
    throw error;
  }
}

/**
 * Entry `index` of a packed run as an `InternalEntry` whose key and value are views made only
 * when read (the retention filter reads them only for range tombstones and expiring puts).
 * One object serves the whole run; `moveTo` points it at the next entry.
 */
class LazyPackedEntry implements InternalEntry {
  seq: SeqNum = toSeqNum(0);
  kind: EntryKind = EntryKind.Put;
  private index = 0;
  private readonly packed: PackedEntries;

  constructor(packed: PackedEntries) {
    this.packed = packed;
  }

  moveTo(index: number, seq: SeqNum, kind: EntryKind): void {
    this.index = index;
    this.seq = seq;
    this.kind = kind;
  }

  get key(): Uint8Array {
    return packedBytesAt(this.packed, PACKED_REF_FIELDS * this.index);
  }

  get value(): Uint8Array {
    return packedBytesAt(this.packed, PACKED_REF_FIELDS * this.index + 3);
  }
}
