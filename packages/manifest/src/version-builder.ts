/**
 * Applies one edit to the state of a version, checking every rule that involves more than one
 * field (FORMAT.md, "Applying an edit"). Violations go to `fail`, which the caller turns into
 * `AssertionError` (a fresh edit from the engine) or `CorruptionError` (an edit replayed from
 * disk). The input state is never modified.
 */
import { compareBytes } from '@kv/base';
import type { RangeTombstone } from '@kv/base';
import { optionsProblem, rangeTombstoneProblem, removedFileProblem, scalarProblem, tableFileProblem, tombstoneSeqProblem } from './edit-rules.js';
import { LEVEL_COUNT } from './format.js';
import type { DatabaseOptionsRecord, TableFileMeta, VersionEdit } from './version-edit.js';

export interface VersionState {
  levels: (readonly TableFileMeta[])[];
  logNumber: number;
  nextFileNumber: number;
  lastSequence: number;
  options: DatabaseOptionsRecord | undefined;
  /** In the order they were added. */
  rangeTombstones: readonly RangeTombstone[];
}

export type Fail = (detail: string) => never;

export function applyEditToState(base: VersionState, edit: VersionEdit, fail: Fail): VersionState {
  const scalars = applyScalars(base, edit, fail);
  const options = applyOptions(base.options, edit.options, fail);
  const levels = applyFiles(base.levels, edit, fail);
  const rangeTombstones = applyRangeTombstones(base.rangeTombstones, edit, fail);
  for (const file of edit.addedFiles ?? []) {
    if (file.fileNumber >= scalars.nextFileNumber) fail(`file ${file.fileNumber} is not below nextFileNumber ${scalars.nextFileNumber}`);
  }
  return { levels, options, rangeTombstones, ...scalars };
}

/** Removals first, then additions; a removed seq must be present, an added one must be new. */
function applyRangeTombstones(base: readonly RangeTombstone[], edit: VersionEdit, fail: Fail): readonly RangeTombstone[] {
  const removed = edit.removedRangeTombstones ?? [];
  const added = edit.addedRangeTombstones ?? [];
  if (removed.length === 0 && added.length === 0) return base;
  const bySeq = new Map(base.map((tombstone) => [tombstone.seq as number, tombstone]));
  for (const seq of removed) {
    const problem = tombstoneSeqProblem(seq);
    if (problem !== undefined) fail(problem);
    if (!bySeq.delete(seq)) fail(`removes range tombstone ${seq}, which is not in the version`);
  }
  for (const tombstone of added) {
    const problem = rangeTombstoneProblem(tombstone);
    if (problem !== undefined) fail(problem);
    if (bySeq.has(tombstone.seq)) fail(`adds range tombstone ${tombstone.seq}, which is already in the version`);
    bySeq.set(tombstone.seq, Object.freeze({ start: tombstone.start.slice(), end: tombstone.end?.slice(), seq: tombstone.seq }));
  }
  return Object.freeze([...bySeq.values()]);
}

type Scalars = Pick<VersionState, 'logNumber' | 'nextFileNumber' | 'lastSequence'>;

function applyScalars(base: VersionState, edit: VersionEdit, fail: Fail): Scalars {
  const next: Scalars = { logNumber: base.logNumber, nextFileNumber: base.nextFileNumber, lastSequence: base.lastSequence };
  for (const name of ['logNumber', 'nextFileNumber', 'lastSequence'] as const) {
    const value = edit[name];
    if (value === undefined) continue;
    const problem = scalarProblem(name, value);
    if (problem !== undefined) fail(problem);
    // Going back would let a file number or sequence number be used twice.
    if (value < base[name]) fail(`${name} goes back from ${base[name]} to ${value}`);
    next[name] = value;
  }
  if (next.logNumber > next.nextFileNumber) fail(`logNumber ${next.logNumber} is above nextFileNumber ${next.nextFileNumber}`);
  return next;
}

function applyOptions(
  base: DatabaseOptionsRecord | undefined,
  options: DatabaseOptionsRecord | undefined,
  fail: Fail,
): DatabaseOptionsRecord | undefined {
  if (options === undefined) return base;
  const problem = optionsProblem(options);
  if (problem !== undefined) fail(problem);
  const copy = copyOptions(options);
  if (base !== undefined && !sameOptions(base, copy)) fail('options differ from the ones the database was created with');
  return base ?? copy;
}

function copyOptions(options: DatabaseOptionsRecord): DatabaseOptionsRecord {
  const fixed = options.fixedWidth;
  if (fixed === undefined) return Object.freeze({ pageSizeBytes: options.pageSizeBytes });
  const fixedWidth = Object.freeze({ keySize: fixed.keySize, valueSize: fixed.valueSize });
  return Object.freeze({ pageSizeBytes: options.pageSizeBytes, fixedWidth });
}

export function sameOptions(a: DatabaseOptionsRecord, b: DatabaseOptionsRecord): boolean {
  if (a.pageSizeBytes !== b.pageSizeBytes) return false;
  if (a.fixedWidth === undefined || b.fixedWidth === undefined) return a.fixedWidth === b.fixedWidth;
  return a.fixedWidth.keySize === b.fixedWidth.keySize && a.fixedWidth.valueSize === b.fixedWidth.valueSize;
}

/** Removals first, then additions, so an edit may move a file by removing and re-adding it. */
function applyFiles(baseLevels: readonly (readonly TableFileMeta[])[], edit: VersionEdit, fail: Fail): (readonly TableFileMeta[])[] {
  const levels: TableFileMeta[][] = baseLevels.map((files) => [...files]);
  const live = new Set<number>();
  for (const files of levels) for (const file of files) live.add(file.fileNumber);
  const touched = new Set<number>();
  for (const removal of edit.removedFiles ?? []) {
    const problem = removedFileProblem(removal);
    if (problem !== undefined) fail(problem);
    const files = levels[removal.level] ?? [];
    const index = files.findIndex((file) => file.fileNumber === removal.fileNumber);
    if (index < 0) fail(`removes file ${removal.fileNumber}, which is not in level ${removal.level}`);
    files.splice(index, 1);
    live.delete(removal.fileNumber);
    touched.add(removal.level);
  }
  for (const added of edit.addedFiles ?? []) {
    const problem = tableFileProblem(added);
    if (problem !== undefined) fail(problem);
    if (live.has(added.fileNumber)) fail(`adds file ${added.fileNumber}, which is already in the version`);
    live.add(added.fileNumber);
    (levels[added.level] ?? []).push(freezeFile(added));
    touched.add(added.level);
  }
  // Untouched levels keep the base's frozen arrays, so versions share them.
  const ordered: (readonly TableFileMeta[])[] = [...baseLevels];
  for (const level of touched) ordered[level] = orderLevel(level, levels[level] ?? [], fail);
  return ordered;
}

function freezeFile(file: TableFileMeta): TableFileMeta {
  return Object.freeze({ ...file, smallestKey: file.smallestKey.slice(), largestKey: file.largestKey.slice() });
}

/**
 * Level 0 holds flushed files that may overlap, newest (highest number) first. Deeper levels
 * are sorted by smallest key and must not overlap: key ranges are inclusive at both ends.
 */
function orderLevel(level: number, files: TableFileMeta[], fail: Fail): readonly TableFileMeta[] {
  if (level === 0) return Object.freeze(files.sort((a, b) => b.fileNumber - a.fileNumber));
  files.sort((a, b) => compareBytes(a.smallestKey, b.smallestKey) || a.fileNumber - b.fileNumber);
  for (let i = 1; i < files.length; i++) {
    const before = files[i - 1];
    const after = files[i];
    if (before === undefined || after === undefined) continue;
    if (compareBytes(before.largestKey, after.smallestKey) >= 0) {
      fail(`files ${before.fileNumber} and ${after.fileNumber} overlap in level ${level}`);
    }
  }
  return Object.freeze(files);
}

/** The empty state: no files, every counter zero, no options. */
export function emptyState(): VersionState {
  return { levels: Array.from({ length: LEVEL_COUNT }, () => Object.freeze([])), logNumber: 0, nextFileNumber: 0, lastSequence: 0, options: undefined, rangeTombstones: Object.freeze([]) };
}

