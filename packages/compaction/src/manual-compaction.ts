/**
 * Plans `db.compactRange(start, end)`: every file holding a key in the range, in any level, is
 * compacted into the bottom level (the deepest non-empty level, at least 1), dropping what no
 * snapshot needs.
 *
 * Files are grouped into clusters: sets whose key ranges chain together by overlap, across all
 * levels. No file outside a cluster overlaps it, so each cluster is one independent plan, and
 * the plans of one call may run in any order (or concurrently) without re-planning. Each plan
 * takes every file of its cluster, so no newer version of a key stays above an older one.
 * The engine must not run these while automatic compactions hold any of the files.
 */
import { compareBytes } from '@kv/base';
import type { TableFileMeta, Version } from '@kv/manifest';
import type { CompactionPolicy } from './compaction-policy.js';
import type { CompactionPlan } from './compaction-plan.js';
import { spansOverlap } from './key-span.js';
import type { KeySpan } from './key-span.js';
import { deepestNonEmptyLevel } from './level-targets.js';

export interface ManualRange {
  /** Inclusive; absent means from the first key. */
  start?: Uint8Array;
  /** Inclusive; absent means to the last key. */
  end?: Uint8Array;
}

interface Cluster {
  span: KeySpan;
  files: TableFileMeta[];
}

/**
 * The plans moving `range` down to the bottom level, in key order. `policy` is accepted so
 * callers pass the same knobs as to the picker; no plan depends on it today.
 */
export function planManualCompaction(version: Version, range: ManualRange, policy: CompactionPolicy): CompactionPlan[] {
  void policy;
  const levelBytes = version.levels.map((_, level) => version.levelBytes(level));
  const outputLevel = Math.max(1, deepestNonEmptyLevel(levelBytes));
  const clusters = clustersOf(version.files()).filter((cluster) => clusterInRange(cluster.span, range));
  return clusters.map((cluster) => planCluster(cluster.files, outputLevel));
}

/** Sweeps files by smallest key; a file joins the open cluster when it starts inside its span. */
function clustersOf(files: readonly TableFileMeta[]): Cluster[] {
  const sorted = [...files].sort((a, b) => compareBytes(a.smallestKey, b.smallestKey));
  const clusters: Cluster[] = [];
  let open: Cluster | undefined;
  for (const file of sorted) {
    if (open !== undefined && compareBytes(file.smallestKey, open.span.largest) <= 0) {
      open.files.push(file);
      if (compareBytes(file.largestKey, open.span.largest) > 0) open.span.largest = file.largestKey;
      continue;
    }
    open = { span: { smallest: file.smallestKey, largest: file.largestKey }, files: [file] };
    clusters.push(open);
  }
  return clusters;
}

function clusterInRange(span: KeySpan, range: ManualRange): boolean {
  const wanted: KeySpan = { smallest: range.start ?? span.smallest, largest: range.end ?? span.largest };
  if (compareBytes(wanted.smallest, wanted.largest) > 0) return false;
  return spansOverlap(span, wanted);
}

/** Orders inputs as the version does (level 0 newest first, then by level and key). */
function planCluster(files: readonly TableFileMeta[], outputLevel: number): CompactionPlan {
  const byLevel = [...files].sort((a, b) => a.level - b.level || (a.level === 0 ? b.fileNumber - a.fileNumber : compareBytes(a.smallestKey, b.smallestKey)));
  const inputs = byLevel.filter((file) => file.level < outputLevel);
  const overlaps = byLevel.filter((file) => file.level === outputLevel);
  const inputLevel = inputs[0]?.level ?? outputLevel;
  return { inputLevel, outputLevel, inputs, overlaps, bottommost: true, reason: 'manual' };
}
