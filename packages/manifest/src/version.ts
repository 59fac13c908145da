/**
 * An immutable snapshot of the database's file set: which page files make up each level, and
 * the counters the manifest tracks. `apply` returns a new version and leaves this one intact,
 * so readers can keep using a version while the engine installs the next one.
 */
import { AssertionError, CorruptionError, RangeTombstoneIndex, assert } from '@kv/base';
import type { RangeTombstone } from '@kv/base';
import { LEVEL_COUNT } from './format.js';
import { VersionBuilder, emptyState } from './version-builder.js';
import type { VersionState } from './version-builder.js';
import type { DatabaseOptionsRecord, TableFileMeta, VersionEdit } from './version-edit.js';

export class Version {
  /**
   * `levels[0]` lists flushed files newest first (by file number, descending); they may
   * overlap. Deeper levels are sorted by smallest key and never overlap.
   */
  readonly levels: readonly (readonly TableFileMeta[])[];
  readonly logNumber: number;
  readonly nextFileNumber: number;
  readonly lastSequence: number;
  readonly options: DatabaseOptionsRecord | undefined;
  /** Range deletions flushed from memtables that may still hide versions in page files. */
  readonly rangeTombstones: readonly RangeTombstone[];
  private tombstoneIndex: RangeTombstoneIndex | undefined;

  private constructor(state: VersionState) {
    this.levels = Object.freeze(state.levels);
    this.logNumber = state.logNumber;
    this.nextFileNumber = state.nextFileNumber;
    this.lastSequence = state.lastSequence;
    this.options = state.options;
    this.rangeTombstones = state.rangeTombstones;
  }

  /** An index over `rangeTombstones`, built on first use. */
  get rangeTombstoneIndex(): RangeTombstoneIndex {
    this.tombstoneIndex ??= this.rangeTombstones.length === 0 ? RangeTombstoneIndex.EMPTY : new RangeTombstoneIndex(this.rangeTombstones);
    return this.tombstoneIndex;
  }

  /** The version of a database before its first edit: no files, counters zero, no options. */
  static empty(): Version {
    return new Version(emptyState());
  }

  /**
   * Returns this version with `edit` applied. Rules (FORMAT.md, "Applying an edit"): removed
   * files must be in the named level; added file numbers must be new and below the resulting
   * `nextFileNumber`; files of a level >= 1 must not overlap; counters never go back; options,
   * once set, never change. A violation in a fresh edit is a bug (`AssertionError`). Pass
   * `replay.where` when the edit was read from disk: a violation is then `CorruptionError`.
   */
  apply(edit: VersionEdit, replay?: { where: string }): Version {
    const fail = (detail: string): never => {
      throw replay === undefined ? new AssertionError(`version edit: ${detail}`) : failedReplay(replay.where, detail);
    };
    return this.built([{ edit, fail }]);
  }

  /**
   * This version with every edit of `edits` applied in order, each checked as `apply` with
   * its `where` would, but the version built once: replaying a manifest costs what its edits
   * change, not their number times the size of the version.
   */
  applyReplayed(edits: readonly { edit: VersionEdit; where: string }[]): Version {
    return this.built(edits.map(({ edit, where }) => ({ edit, fail: (detail: string): never => { throw failedReplay(where, detail); } })));
  }

  private built(steps: readonly { edit: VersionEdit; fail: (detail: string) => never }[]): Version {
    const builder = new VersionBuilder({
      levels: this.levels,
      logNumber: this.logNumber,
      nextFileNumber: this.nextFileNumber,
      lastSequence: this.lastSequence,
      options: this.options,
      rangeTombstones: this.rangeTombstones,
    });
    for (const { edit, fail } of steps) builder.apply(edit, fail);
    return new Version(builder.build());
  }

  /** Every file, level 0 first (newest first), then each deeper level in key order. */
  files(): TableFileMeta[] {
    return this.levels.flat();
  }

  /** Total size of the files of `level`. */
  levelBytes(level: number): number {
    assert(Number.isSafeInteger(level) && level >= 0 && level < LEVEL_COUNT, 'level in range');
    let total = 0;
    for (const file of this.levels[level] ?? []) total += file.sizeBytes;
    return total;
  }

  /**
   * The edit that rebuilds this version from `Version.empty()`: every counter, the options if
   * set, every file and every range tombstone. A new manifest starts with it.
   */
  snapshot(): VersionEdit {
    const edit: VersionEdit = { logNumber: this.logNumber, nextFileNumber: this.nextFileNumber, lastSequence: this.lastSequence };
    if (this.options !== undefined) edit.options = this.options;
    const files = this.files();
    if (files.length > 0) edit.addedFiles = files;
    if (this.rangeTombstones.length > 0) edit.addedRangeTombstones = [...this.rangeTombstones];
    return edit;
  }
}

function failedReplay(where: string, detail: string): CorruptionError {
  return new CorruptionError(where, `edit does not apply: ${detail}`);
}
