/**
 * Runs one compaction job: merges the plan's files, keeps what `RetentionFilter` keeps, and
 * writes it to new page files at the output level. The job only creates files; the engine
 * installs them with one manifest edit and deletes the inputs. On failure every output is
 * deleted (best effort; any left over are orphans the engine removes on open).
 *
 * Reads are synchronous page reads; the loop hands the event loop back every
 * `YIELD_EVERY_ENTRIES` entries and at every slice write, so an inline job never blocks for
 * long. In a worker the same yields cost almost nothing.
 */
import { CorruptionError, EntryKind, KeyCopy, RangeTombstoneIndex, commonPrefixLength, compareBytes } from '@kv/base';
import type { InternalIterator } from '@kv/base';
import type { TableFileMeta } from '@kv/manifest';
import { TableReader } from '@kv/sstable';
import type { TableBuildOptions, TableIteratorOptions } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import type { CompactionJobInput, CompactionResult } from './compaction-job.js';
import { CompactionOutput } from './compaction-output.js';
import { planFiles } from './compaction-plan.js';
import { ConcatenatingIterator } from './concatenating-iterator.js';
import { MergingIterator } from './merging-iterator.js';
import { RetentionFilter } from './retention-filter.js';
import type { BuildPriority } from './build-priority.js';
import { tableFilePath } from './table-file-name.js';
import { yieldToEventLoop } from './yield-to-event-loop.js';

const YIELD_EVERY_ENTRIES = 4096;
const EMPTY = new Uint8Array(0);
/** Bytes of an input file each read takes: sixteen 4 KiB pages (see `readaheadBytes`). */
const INPUT_READAHEAD_BYTES = 64 * 1024;
const SCAN: TableIteratorOptions = { reuseEntry: true, readaheadBytes: INPUT_READAHEAD_BYTES };

interface OpenInput {
  meta: TableFileMeta;
  reader: TableReader;
}

interface MergeCounts {
  entriesIn: number;
  entriesOut: number;
  droppedVersions: number;
  droppedTombstones: number;
}

export async function runCompaction(vfs: Vfs, input: CompactionJobInput, priority?: BuildPriority): Promise<CompactionResult> {
  const started = performance.now();
  const filter = new RetentionFilter(input.snapshots, input.plan.bottommost, {
    rangeTombstones: new RangeTombstoneIndex(input.rangeTombstones ?? []),
    ...(input.nowMs === undefined ? {} : { nowMs: input.nowMs }),
  });
  const files = planFiles(input.plan);
  const opened = await openInputs(vfs, input.dir, files);
  const output = new CompactionOutput({
    vfs,
    dir: input.dir,
    level: input.plan.outputLevel,
    fileNumbers: input.outputFileNumbers,
    build: buildOptionsOf(input),
    targetFileSizeBytes: input.targetFileSizeBytes,
  });
  try {
    const counts = await mergeInto(opened, { filter, inputsMayRepeat: input.inputsMayRepeat === true, priority }, output);
    const added = await output.finish();
    if (added.length > 0) await vfs.syncDir(input.dir);
    return {
      added,
      removed: files.map((file) => ({ level: file.level, fileNumber: file.fileNumber })),
      bytesRead: sum(files.map((file) => file.sizeBytes)),
      bytesWritten: sum(added.map((file) => file.sizeBytes)),
      ...counts,
      rangeTombstonesHidingKept: [...filter.tombstonesHidingKept],
      durationMs: performance.now() - started,
    };
  } catch (error) {
    await output.abandon();
    throw error;
  } finally {
    await closeInputs(opened);
  }
}

/**
 * The merge loop. Bounded by the inputs' entry counts (from their verified properties): more
 * entries than that means a damaged file. Two equal internal keys are damage too (or a file
 * listed twice), caught here instead of as the builder's order assertion.
 */
async function mergeInto(opened: readonly OpenInput[], merge: { filter: RetentionFilter; inputsMayRepeat: boolean; priority: BuildPriority | undefined }, output: CompactionOutput): Promise<MergeCounts> {
  const filter = merge.filter;
  const entriesMax = sum(opened.map(({ reader }) => reader.properties.entryCount));
  const counts: MergeCounts = { entriesIn: 0, entriesOut: 0, droppedVersions: 0, droppedTombstones: 0 };
  const merged = new MergingIterator(sourcesOf(opened), { sharedKeyBytes: sharedKeyBytesOf(opened) });
  const previousKey = new KeyCopy();
  let previousSeq = 0;
  // With inputsMayRepeat: the previous entry's kind and value, to tell a copy from damage.
  let previousKind: EntryKind = EntryKind.Delete;
  const previousValue = new KeyCopy();
  for (merged.seekToFirst(); merged.valid; merged.next()) {
    const entry = merged.entry;
    if (++counts.entriesIn > entriesMax) throw new CorruptionError('compaction inputs', 'more entries than the files declare');
    // The key is copied only when it changes, so a key with many versions costs one copy.
    const byKey = previousKey.isSet ? previousKey.compareWith(entry.key) : 1;
    const sameKey = byKey === 0;
    if (merge.inputsMayRepeat && sameKey && entry.seq === previousSeq && entry.kind === previousKind && previousValue.compareWith(entry.value) === 0) {
      counts.droppedVersions++;
      continue;
    }
    const outOfOrder = sameKey ? entry.seq >= previousSeq : byKey < 0;
    if (outOfOrder) throw new CorruptionError('compaction inputs', `entry seq ${entry.seq} out of internal order across input files`);
    if (!sameKey) previousKey.set(entry.key);
    previousSeq = entry.seq;
    if (merge.inputsMayRepeat) {
      previousKind = entry.kind;
      previousValue.set(entry.value);
    }
    const decision = filter.decide(entry);
    if (decision === 'keep' || decision === 'keep-as-tombstone') {
      counts.entriesOut++;
      const writing = output.add(decision === 'keep' ? entry : { key: entry.key, seq: entry.seq, kind: EntryKind.Delete, value: EMPTY });
      if (writing !== undefined) await writing;
    } else if (decision === 'drop-tombstone') counts.droppedTombstones++;
    else counts.droppedVersions++;
    // A running table build of the same priority goes first (see build-priority.ts).
    if (counts.entriesIn % YIELD_EVERY_ENTRIES === 0) await (merge.priority?.buildsFinished() ?? yieldToEventLoop());
  }
  return counts;
}

/**
 * One source per level-0 file (they overlap); one concatenated source per deeper level. The
 * merge copies what it keeps, so every file's iterator reuses its entry (`reuseEntry`).
 */
function sourcesOf(opened: readonly OpenInput[]): InternalIterator[] {
  const sources: InternalIterator[] = [];
  const byLevel = new Map<number, OpenInput[]>();
  for (const item of opened) {
    if (item.meta.level === 0) sources.push(item.reader.iterator(SCAN));
    else byLevel.set(item.meta.level, [...(byLevel.get(item.meta.level) ?? []), item]);
  }
  for (const items of byLevel.values()) {
    const parts = items.map(({ reader }) => ({ smallestKey: reader.properties.smallestKey, largestKey: reader.properties.largestKey, open: () => reader.iterator(SCAN) }));
    sources.push(new ConcatenatingIterator(parts));
  }
  return sources;
}

/**
 * How many leading bytes every input key shares: those of the smallest and largest key of all
 * inputs (from their verified properties), as every key lies between the two. A file holding a
 * key outside its own bounds would be merged out of order, which `mergeInto` reports as damage.
 */
function sharedKeyBytesOf(opened: readonly OpenInput[]): number {
  if (opened.length === 0) return 0;
  let smallest = (opened[0] as OpenInput).reader.properties.smallestKey;
  let largest = (opened[0] as OpenInput).reader.properties.largestKey;
  for (const { reader } of opened) {
    if (compareBytes(reader.properties.smallestKey, smallest) < 0) smallest = reader.properties.smallestKey;
    if (compareBytes(reader.properties.largestKey, largest) > 0) largest = reader.properties.largestKey;
  }
  return commonPrefixLength(smallest, largest);
}

/** Opens every input, checking each file's size against the manifest; closes them all on failure. */
async function openInputs(vfs: Vfs, dir: string, files: readonly TableFileMeta[]): Promise<OpenInput[]> {
  const sorted = [...files].sort((a, b) => compareFileOrder(a, b));
  const opened: OpenInput[] = [];
  try {
    for (const meta of sorted) {
      const reader = await TableReader.open(vfs, tableFilePath(dir, meta.fileNumber), { fileNumber: meta.fileNumber, expectedSizeBytes: meta.sizeBytes });
      opened.push({ meta, reader });
    }
    return opened;
  } catch (error) {
    await closeInputs(opened);
    throw error;
  }
}

/** Level, then key: the order `ConcatenatingIterator` needs for deeper levels. */
function compareFileOrder(a: TableFileMeta, b: TableFileMeta): number {
  if (a.level !== b.level) return a.level - b.level;
  return compareBytes(a.smallestKey, b.smallestKey) || a.fileNumber - b.fileNumber;
}

async function closeInputs(opened: readonly OpenInput[]): Promise<void> {
  for (const { reader } of opened) await reader.close().catch(() => undefined);
}

function buildOptionsOf(input: CompactionJobInput): TableBuildOptions {
  const { pageSizeBytes, compression, bloomBitsPerKey, fixedWidth } = input.build;
  const options: TableBuildOptions = { pageSizeBytes, compression, bloomBitsPerKey };
  if (fixedWidth !== undefined) options.fixedWidth = { keySize: fixedWidth.keySize, valueSize: fixedWidth.valueSize };
  return options;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const value of values) total += value;
  return total;
}
