/**
 * The plain-data description of one compaction job and its result. Both cross the worker
 * boundary by structured clone, so they hold only numbers, strings, arrays and Uint8Arrays.
 */
import type { RangeTombstone } from '@kv/base';
import type { TableFileMeta } from '@kv/manifest';
import type { CompactionPlan } from './compaction-plan.js';

export interface CompactionBuildOptions {
  pageSizeBytes: number;
  compression: 'none' | 'lz4';
  bloomBitsPerKey: number;
  fixedWidth?: { keySize: number; valueSize: number };
}

export interface CompactionJobInput {
  /** The database directory; inputs and outputs are `NNNNNN.sst` files in it. */
  dir: string;
  plan: CompactionPlan;
  /**
   * Numbers the job may give its outputs, used in order. Allocate them from the manifest;
   * `outputFileCountFor(plan, targetFileSizeBytes)` gives enough unless the outputs encode to
   * more than twice the inputs' size. A job that needs more fails with INVALID_ARGUMENT (and
   * deletes what it wrote).
   */
  outputFileNumbers: number[];
  /** Live snapshots' sequence numbers, ascending, the last being the current visible seq. */
  snapshots: number[];
  /** The version's range tombstones that overlap the plan's files (they may hide entries). */
  rangeTombstones?: RangeTombstone[];
  /** Wall-clock ms at planning: expiring entries at or past it are dropped (default: none). */
  nowMs?: number;
  /** How to build the output level's files. */
  build: CompactionBuildOptions;
  targetFileSizeBytes: number;
  /**
   * The inputs may hold copies of one write: `DB.repair` merges every page file it finds, and
   * a crash after a compaction's manifest edit leaves its inputs beside the output that copied
   * them. An entry equal to the one before it (key, seq, kind and value) is then dropped as a
   * copy; the same (key, seq) with other contents is still damage. Default false: in the
   * engine's own jobs a repeated (key, seq) is always damage (or a file listed twice).
   */
  inputsMayRepeat?: boolean;
}

export interface CompactionResult {
  /** The outputs, in key order, each with `level` = the plan's output level. */
  added: TableFileMeta[];
  /** Every input and overlap file: the engine removes them in the same edit. */
  removed: { level: number; fileNumber: number }[];
  /** Sizes of the files read. */
  bytesRead: number;
  /** Sizes of the files written. */
  bytesWritten: number;
  entriesIn: number;
  entriesOut: number;
  /** Versions no snapshot can read (shadowed, or older than a dropped tombstone). */
  droppedVersions: number;
  /** Tombstones dropped at the bottom level. */
  droppedTombstones: number;
  /** Range tombstones (by seq) that still hide a version the outputs keep for a snapshot. */
  rangeTombstonesHidingKept: number[];
  durationMs: number;
}
