/**
 * Applies edits to the state of a version, checking every rule that involves more than one
 * field (FORMAT.md, "Applying an edit"). Violations go to `fail`, which the caller turns into
 * `AssertionError` (a fresh edit from the engine) or `CorruptionError` (an edit replayed from
 * disk). The base state is never modified.
 *
 * A builder applies any number of edits, each checked exactly as if applied on its own, and
 * builds the state once: replaying a manifest of thousands of edits costs what those edits
 * change, not their number times the size of the version. Levels are kept in order as files
 * are inserted (binary search), so the overlap rule is checked against the neighbours of each
 * added file, which in a sorted, non-overlapping level are the only files it could overlap.
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

export class VersionBuilder {
  private state: VersionState;
  /** Levels this builder copied and may change in place; the others are the base's frozen arrays. */
  private readonly owned: boolean[] = new Array<boolean>(LEVEL_COUNT).fill(false);
  /** The level of every file in the state, by file number. */
  private readonly levelOf = new Map<number, number>();

  constructor(base: Omit<VersionState, 'levels'> & { levels: readonly (readonly TableFileMeta[])[] }) {
    // Its own state object and level list: `apply` changes both in place.
    this.state = { ...base, levels: [...base.levels] };
    base.levels.forEach((files, level) => {
      for (const file of files) this.levelOf.set(file.fileNumber, level);
    });
  }

  /**
   * Applies `edit`. When `fail` throws, the builder may hold part of the edit: discard it (a
   * failed edit is a bug or corruption, and nothing goes on from it).
   */
  apply(edit: VersionEdit, fail: Fail): void {
    const scalars = applyScalars(this.state, edit, fail);
    const options = applyOptions(this.state.options, edit.options, fail);
    this.applyFiles(edit, fail);
    const rangeTombstones = applyRangeTombstones(this.state.rangeTombstones, edit, fail);
    for (const file of edit.addedFiles ?? []) {
      if (file.fileNumber >= scalars.nextFileNumber) fail(`file ${file.fileNumber} is not below nextFileNumber ${scalars.nextFileNumber}`);
    }
    Object.assign(this.state, scalars, { options, rangeTombstones });
  }

  /** The state after every edit applied; the builder is done with. */
  build(): VersionState {
    const levels = this.state.levels.map((files, level) => (this.owned[level] === true ? Object.freeze(files) : files));
    return { ...this.state, levels };
  }

  /** Removals first, then additions, so an edit may move a file by removing and re-adding it. */
  private applyFiles(edit: VersionEdit, fail: Fail): void {
    for (const removal of edit.removedFiles ?? []) {
      const problem = removedFileProblem(removal);
      if (problem !== undefined) fail(problem);
      const files = this.ownLevel(removal.level);
      const index = this.levelOf.get(removal.fileNumber) === removal.level ? files.findIndex((file) => file.fileNumber === removal.fileNumber) : -1;
      if (index < 0) fail(`removes file ${removal.fileNumber}, which is not in level ${removal.level}`);
      files.splice(index, 1);
      this.levelOf.delete(removal.fileNumber);
    }
    for (const added of edit.addedFiles ?? []) {
      const problem = tableFileProblem(added);
      if (problem !== undefined) fail(problem);
      if (this.levelOf.has(added.fileNumber)) fail(`adds file ${added.fileNumber}, which is already in the version`);
      this.insert(added.level, freezeFile(added), fail);
      this.levelOf.set(added.fileNumber, added.level);
    }
  }

  /**
   * Level 0 holds flushed files that may overlap, newest (highest number) first. Deeper levels
   * are sorted by smallest key (then file number) and must not overlap: key ranges are
   * inclusive at both ends.
   */
  private insert(level: number, file: TableFileMeta, fail: Fail): void {
    const files = this.ownLevel(level);
    const before = level === 0 ? (a: TableFileMeta): boolean => a.fileNumber > file.fileNumber : (a: TableFileMeta): boolean => (compareBytes(a.smallestKey, file.smallestKey) || a.fileNumber - file.fileNumber) < 0;
    let low = 0;
    let high = files.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (before(files[mid] as TableFileMeta)) low = mid + 1;
      else high = mid;
    }
    if (level > 0) {
      const previous = files[low - 1];
      const next = files[low];
      if (previous !== undefined && compareBytes(previous.largestKey, file.smallestKey) >= 0) fail(`files ${previous.fileNumber} and ${file.fileNumber} overlap in level ${level}`);
      if (next !== undefined && compareBytes(file.largestKey, next.smallestKey) >= 0) fail(`files ${file.fileNumber} and ${next.fileNumber} overlap in level ${level}`);
    }
    files.splice(low, 0, file);
  }

  private ownLevel(level: number): TableFileMeta[] {
    const files = this.state.levels[level] ?? [];
    if (this.owned[level] === true) return files as TableFileMeta[];
    const copy = [...files];
    this.state.levels[level] = copy;
    this.owned[level] = true;
    return copy;
  }
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

function freezeFile(file: TableFileMeta): TableFileMeta {
  return Object.freeze({ ...file, smallestKey: file.smallestKey.slice(), largestKey: file.largestKey.slice() });
}

/** The empty state: no files, every counter zero, no options. */
export function emptyState(): VersionState {
  return { levels: Array.from({ length: LEVEL_COUNT }, () => Object.freeze([])), logNumber: 0, nextFileNumber: 0, lastSequence: 0, options: undefined, rangeTombstones: Object.freeze([]) };
}

