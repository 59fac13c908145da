/**
 * When range tombstones leave the manifest. Without a merge, as one manifest edit:
 * - page files entirely inside a tombstone's range whose every entry is older than it, when
 *   no live snapshot can read any of those entries (no snapshot in [file.seqMin, tombstone));
 * - tombstones that no longer hide anything: no remaining page file overlapping the range
 *   holds an entry older than the tombstone. (Memtables hold only newer entries: a tombstone
 *   reaches the manifest when its memtable is flushed, and memtables flush oldest first.)
 * And after a compaction that read every file under a tombstone and kept nothing it hides
 * (`tombstonesRetiredBy`), in that compaction's edit.
 */
import { compareBytes, tombstoneOverlaps } from '@kv/base';
import type { RangeTombstone } from '@kv/base';
import type { RemovedFile, TableFileMeta, Version, VersionEdit } from '@kv/manifest';
import type { CompactionPlan } from './compaction-plan.js';
import { planFiles } from './compaction-plan.js';

export function planRangeTombstoneCleanup(version: Version, snapshots: readonly number[]): VersionEdit | undefined {
  const tombstones = version.rangeTombstones;
  if (tombstones.length === 0) return undefined;
  const removedFiles: RemovedFile[] = [];
  const remaining: TableFileMeta[] = [];
  for (const file of version.files()) {
    if (tombstones.some((tombstone) => hidesWholeFile(tombstone, file, snapshots))) removedFiles.push({ level: file.level, fileNumber: file.fileNumber });
    else remaining.push(file);
  }
  const removedRangeTombstones = tombstones
    .filter((tombstone) => !remaining.some((file) => file.seqMin < tombstone.seq && tombstoneOverlaps(tombstone, file.smallestKey, file.largestKey)))
    .map((tombstone) => tombstone.seq as number);
  if (removedFiles.length === 0 && removedRangeTombstones.length === 0) return undefined;
  return {
    ...(removedFiles.length > 0 ? { removedFiles } : {}),
    ...(removedRangeTombstones.length > 0 ? { removedRangeTombstones } : {}),
  };
}

function hidesWholeFile(tombstone: RangeTombstone, file: TableFileMeta, snapshots: readonly number[]): boolean {
  if (file.seqMax >= tombstone.seq) return false;
  if (compareBytes(file.smallestKey, tombstone.start) < 0) return false;
  if (tombstone.end !== undefined && compareBytes(file.largestKey, tombstone.end) >= 0) return false;
  return !snapshots.some((seq) => seq >= file.seqMin && seq < tombstone.seq);
}

/**
 * Range tombstones a finished compaction retires: every file of the version it planned
 * against that overlaps the tombstone was an input (files flushed since hold only newer
 * writes), and no output version is hidden by it. It then hides nothing anywhere.
 */
export function tombstonesRetiredBy(planned: Version, plan: CompactionPlan, candidates: readonly RangeTombstone[], hidingKept: readonly number[]): number[] {
  const inputs = new Set(planFiles(plan).map((file) => file.fileNumber));
  const inUse = new Set(hidingKept);
  const others = planned.files().filter((file) => !inputs.has(file.fileNumber));
  return candidates
    .filter((tombstone) => !inUse.has(tombstone.seq))
    .filter((tombstone) => others.every((file) => !tombstoneOverlaps(tombstone, file.smallestKey, file.largestKey)))
    .map((tombstone) => tombstone.seq);
}
