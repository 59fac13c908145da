/**
 * Chooses the next automatic compaction. Levels are ranked by score (`levelTargets`); the
 * highest score of at least 1 that yields a plan wins. Level 0 compacts all of its files (they
 * overlap each other) into level 1, or only its oldest `level0FilesMax` (safe: every newer
 * level-0 file is read before level 1), which the engine uses to need less free space after
 * a compaction ran out of it; a deeper level compacts one file, chosen round-robin by
 * key, into the level below. Files another job is compacting are skipped.
 */
import { compareBytes, equalBytes } from '@kv/base';
import type { TableFileMeta, Version } from '@kv/manifest';
import type { CompactionPolicy } from './compaction-policy.js';
import { isBottommost, planSpan } from './compaction-plan.js';
import type { CompactionPlan } from './compaction-plan.js';
import { filesOverlapping, spanOf } from './key-span.js';
import { levelTargets } from './level-targets.js';

export interface PickerState {
  /**
   * Per level, the largest key of the last file compacted out of it. The picker reads it to
   * continue after that key and advances it when it picks from a level.
   */
  cursors?: Map<number, Uint8Array>;
  /** Numbers of files running jobs are compacting; plans never include them. */
  busy?: Set<number>;
  /** At most this many level-0 files (the oldest) per level-0 compaction; default all. */
  level0FilesMax?: number;
}

export function pickCompaction(version: Version, policy: CompactionPolicy, state: PickerState = {}): CompactionPlan | undefined {
  const busy = state.busy ?? new Set<number>();
  const ranked = levelTargets(version, policy)
    .filter((target) => target.score >= 1)
    .sort((a, b) => b.score - a.score);
  for (const { level } of ranked) {
    const plan = level === 0 ? pickLevel0(version, busy, state.level0FilesMax) : pickDeeperLevel(version, level, state, busy);
    if (plan !== undefined) return plan;
  }
  return undefined;
}

function pickLevel0(version: Version, busy: ReadonlySet<number>, filesMax = Infinity): CompactionPlan | undefined {
  // Level 0 is newest first: the oldest files are at the end.
  const files = version.levels[0] ?? [];
  const inputs = files.slice(Math.max(0, files.length - Math.max(1, filesMax)));
  if (inputs.length === 0 || anyBusy(inputs, busy)) return undefined;
  const overlaps = filesOverlapping(version.levels[1] ?? [], spanOf(inputs));
  if (anyBusy(overlaps, busy)) return undefined;
  return finishPlan(version, { inputLevel: 0, outputLevel: 1, inputs, overlaps, bottommost: false, reason: 'level0' });
}

/** Tries each file of `level` once, starting after the level's cursor. */
function pickDeeperLevel(version: Version, level: number, state: PickerState, busy: ReadonlySet<number>): CompactionPlan | undefined {
  const files = version.levels[level] ?? [];
  const start = firstAfterCursor(files, state.cursors?.get(level));
  for (let step = 0; step < files.length; step++) {
    const inputs = expandWithinLevel(files, (start + step) % files.length);
    if (anyBusy(inputs, busy)) continue;
    const overlaps = filesOverlapping(version.levels[level + 1] ?? [], spanOf(inputs));
    if (anyBusy(overlaps, busy)) continue;
    const last = inputs[inputs.length - 1];
    if (last !== undefined) state.cursors?.set(level, last.largestKey);
    return finishPlan(version, { inputLevel: level, outputLevel: level + 1, inputs, overlaps, bottommost: false, reason: 'size' });
  }
  return undefined;
}

function finishPlan(version: Version, plan: CompactionPlan): CompactionPlan {
  return { ...plan, bottommost: isBottommost(version, plan.outputLevel, planSpan(plan)) };
}

/** Index of the first file starting after `cursor`; 0 without a cursor or past the last file. */
function firstAfterCursor(files: readonly TableFileMeta[], cursor: Uint8Array | undefined): number {
  if (cursor === undefined) return 0;
  const index = files.findIndex((file) => compareBytes(file.smallestKey, cursor) > 0);
  return index === -1 ? 0 : index;
}

/**
 * The file at `index` plus any neighbours that share a boundary user key with it. Compacting
 * one without the other would move a key's newer versions below its older ones. Page files
 * written by this package never share a key, but flushed or foreign files might.
 */
export function expandWithinLevel(files: readonly TableFileMeta[], index: number): TableFileMeta[] {
  let low = index;
  let high = index;
  while (low > 0 && sharesBoundary(files[low - 1], files[low])) low--;
  while (high < files.length - 1 && sharesBoundary(files[high], files[high + 1])) high++;
  return files.slice(low, high + 1);
}

function sharesBoundary(left: TableFileMeta | undefined, right: TableFileMeta | undefined): boolean {
  return left !== undefined && right !== undefined && equalBytes(left.largestKey, right.smallestKey);
}

function anyBusy(files: readonly TableFileMeta[], busy: ReadonlySet<number>): boolean {
  return files.some((file) => busy.has(file.fileNumber));
}
