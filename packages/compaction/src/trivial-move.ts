/**
 * A trivial move: a plan whose files can go down a level unchanged, by one manifest edit and
 * no I/O. It applies when nothing in the output level overlaps them and they do not overlap
 * each other (so they can sit side by side in a sorted level), as with sequential inserts,
 * whose flushed files never overlap anything. Manual compactions are never moved: their
 * point is to rewrite (dropping tombstones and old versions).
 */
import { compareBytes } from '@kv/base';
import type { VersionEdit } from '@kv/manifest';
import type { CompactionPlan } from './compaction-plan.js';

export function trivialMove(plan: CompactionPlan): VersionEdit | undefined {
  if (plan.reason === 'manual' || plan.overlaps.length > 0 || plan.inputs.length === 0) return undefined;
  const sorted = [...plan.inputs].sort((a, b) => compareBytes(a.smallestKey, b.smallestKey));
  for (let i = 1; i < sorted.length; i++) {
    const before = sorted[i - 1];
    const after = sorted[i];
    if (before === undefined || after === undefined || compareBytes(before.largestKey, after.smallestKey) >= 0) return undefined;
  }
  return {
    removedFiles: plan.inputs.map((file) => ({ level: file.level, fileNumber: file.fileNumber })),
    addedFiles: plan.inputs.map((file) => ({ ...file, level: plan.outputLevel })),
  };
}
