/**
 * What one compaction does: which files it reads and into which level it writes. The engine
 * removes `inputs` and `overlaps` and adds the job's outputs in one manifest edit.
 */
import { LEVEL_COUNT } from '@kv/manifest';
import type { TableFileMeta, Version } from '@kv/manifest';
import { filesOverlapping, spanOf } from './key-span.js';
import type { KeySpan } from './key-span.js';

export interface CompactionPlan {
  /** The shallowest level the inputs come from. */
  inputLevel: number;
  outputLevel: number;
  /** Files above the output level (each carries its own `level`). */
  inputs: TableFileMeta[];
  /** Files of the output level that overlap the inputs; they are rewritten too. */
  overlaps: TableFileMeta[];
  /** No level below `outputLevel` holds a key inside the plan's span: tombstones may go. */
  bottommost: boolean;
  reason: 'level0' | 'size' | 'manual';
}

/** Every file the plan reads: inputs, then overlaps. */
export function planFiles(plan: CompactionPlan): TableFileMeta[] {
  return [...plan.inputs, ...plan.overlaps];
}

/** The key span covering every file the plan reads; outputs stay inside it. */
export function planSpan(plan: CompactionPlan): KeySpan {
  return spanOf(planFiles(plan));
}

/** Whether no level below `outputLevel` holds a key inside `span`. */
export function isBottommost(version: Version, outputLevel: number, span: KeySpan): boolean {
  for (let level = outputLevel + 1; level < LEVEL_COUNT; level++) {
    if (filesOverlapping(version.levels[level] ?? [], span).length > 0) return false;
  }
  return true;
}

/** The bytes a plan reads: what the engine counts as compaction input. */
export function planInputBytes(plan: CompactionPlan): number {
  let total = 0;
  for (const file of planFiles(plan)) total += file.sizeBytes;
  return total;
}

/**
 * How many output file numbers to hand a job for `plan`. Every output but the last reaches the
 * target, so this covers outputs up to twice the input's size (LZ4 inputs rewritten without
 * compression, say); beyond that the job fails with INVALID_ARGUMENT. Unused numbers cost
 * nothing.
 */
export function outputFileCountFor(plan: CompactionPlan, targetFileSizeBytes: number): number {
  return Math.ceil((2 * planInputBytes(plan)) / targetFileSizeBytes) + 2;
}
