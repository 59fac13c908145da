/**
 * The decoder of one version edit. It accepts exactly what `encodeVersionEdit` produces:
 * fields in ascending tag order, single fields at most once, every field valid on its own,
 * then the end tag and nothing after it. Anything else is `CorruptionError`; an edit of a newer format
 * version is `NotSupportedError`.
 */
import { NotSupportedError, toSeqNum } from '@kv/base';
import type { RangeTombstone } from '@kv/base';
import { EditCursor } from './edit-cursor.js';
import { optionsProblem, rangeTombstoneProblem, removedFileProblem, tableFileProblem, tombstoneSeqProblem } from './edit-rules.js';
import { EDIT_TAG_MAX_V1, EDIT_TAG_MAX_V2, EditTag, FORMAT_VERSION_CLOSE_MARKER, FORMAT_VERSION_CURRENT, FORMAT_VERSION_MIN, KEY_BYTES_MAX, OptionsFlag, TombstoneEndFlag } from './format.js';
import type { DatabaseOptionsRecord, RemovedFile, TableFileMeta, VersionEdit } from './version-edit.js';

/** Decodes one edit. `where` names its origin (file and offset) in errors. */
export function decodeVersionEdit(bytes: Uint8Array, where: string): VersionEdit {
  const cursor = new EditCursor(bytes, where);
  if (cursor.atEnd) cursor.fail('empty edit (no format version)');
  const version = cursor.varint('format version');
  if (version > FORMAT_VERSION_CURRENT) throw new NotSupportedError(where, `edit format version ${version} (this build reads ${FORMAT_VERSION_MIN}..${FORMAT_VERSION_CURRENT})`);
  if (version < FORMAT_VERSION_MIN) cursor.fail(`edit format version ${version} does not exist`);
  if (version === FORMAT_VERSION_CLOSE_MARKER) return decodeCloseMarker(bytes, cursor);
  const edit: VersionEdit = {};
  const added: TableFileMeta[] = [];
  const removed: RemovedFile[] = [];
  const removedTombstones: number[] = [];
  const addedTombstones: RangeTombstone[] = [];
  const tagMax = version === FORMAT_VERSION_MIN ? EDIT_TAG_MAX_V1 : EDIT_TAG_MAX_V2;
  let previousTag: number = EditTag.End;
  // Each iteration consumes at least one byte, so the loop is bounded by the edit's length.
  for (;;) {
    if (cursor.atEnd) cursor.fail('no end tag (truncated edit)');
    const tag = cursor.varint('tag');
    if (tag === EditTag.End) break;
    if (tag > tagMax) cursor.fail(`unknown tag ${tag} in a version ${version} edit`);
    if (tag < previousTag) cursor.fail(`tag ${tag} after tag ${previousTag} (tags ascend)`);
    if (tag === previousTag && tag < EditTag.RemovedFile) cursor.fail(`tag ${tag} repeated`);
    previousTag = tag;
    readField(cursor, { tag, edit, added, removed, removedTombstones, addedTombstones });
  }
  if (!cursor.atEnd) cursor.fail('bytes after the end tag');
  // Edits are written with the lowest version that expresses them (canonical encoding).
  if (version > FORMAT_VERSION_MIN && removedTombstones.length + addedTombstones.length === 0) cursor.fail(`version ${version} edit without range tombstones`);
  if (removed.length > 0) edit.removedFiles = removed;
  if (added.length > 0) edit.addedFiles = added;
  if (removedTombstones.length > 0) edit.removedRangeTombstones = removedTombstones;
  if (addedTombstones.length > 0) edit.addedRangeTombstones = addedTombstones;
  return edit;
}

/** The only version 3 edit is the close marker, `03 09 00` exactly (FORMAT.md, "Edit grammar"). */
function decodeCloseMarker(bytes: Uint8Array, cursor: EditCursor): VersionEdit {
  if (bytes.length !== 3 || bytes[1] !== EditTag.Closed || bytes[2] !== EditTag.End) cursor.fail('a version 3 edit is the close marker (tag 9) alone');
  return { closed: true };
}

interface FieldTarget {
  tag: number;
  edit: VersionEdit;
  added: TableFileMeta[];
  removed: RemovedFile[];
  removedTombstones: number[];
  addedTombstones: RangeTombstone[];
}

function readField(cursor: EditCursor, target: FieldTarget): void {
  const { edit } = target;
  switch (target.tag) {
    case EditTag.LogNumber:
      edit.logNumber = cursor.varint('logNumber');
      return;
    case EditTag.NextFileNumber:
      edit.nextFileNumber = cursor.varint('nextFileNumber');
      return;
    case EditTag.LastSequence:
      edit.lastSequence = cursor.varint('lastSequence');
      return;
    case EditTag.Options:
      edit.options = readOptions(cursor);
      return;
    case EditTag.RemovedFile:
      target.removed.push(readRemovedFile(cursor));
      return;
    case EditTag.AddedFile:
      target.added.push(readAddedFile(cursor));
      return;
    case EditTag.RemovedRangeTombstone:
      target.removedTombstones.push(readRemovedTombstone(cursor));
      return;
    default:
      target.addedTombstones.push(readAddedTombstone(cursor));
  }
}

function readOptions(cursor: EditCursor): DatabaseOptionsRecord {
  const pageSizeBytes = cursor.varint('options.pageSizeBytes');
  const flag = cursor.varint('options flag');
  let options: DatabaseOptionsRecord;
  if (flag === OptionsFlag.VariableWidth) {
    options = { pageSizeBytes };
  } else if (flag === OptionsFlag.FixedWidth) {
    const keySize = cursor.varint('options.keySize');
    options = { pageSizeBytes, fixedWidth: { keySize, valueSize: cursor.varint('options.valueSize') } };
  } else {
    cursor.fail(`options flag ${flag} is neither 0 nor 1`);
  }
  const problem = optionsProblem(options);
  if (problem !== undefined) cursor.fail(problem);
  return options;
}

function readRemovedFile(cursor: EditCursor): RemovedFile {
  const level = cursor.varint('removed file level');
  const file = { level, fileNumber: cursor.varint('removed file number') };
  const problem = removedFileProblem(file);
  if (problem !== undefined) cursor.fail(problem);
  return file;
}

function readAddedFile(cursor: EditCursor): TableFileMeta {
  const level = cursor.varint('added file level');
  const fileNumber = cursor.varint('added file number');
  const sizeBytes = cursor.varint('added file size');
  const smallestKey = cursor.bytes('smallest key', KEY_BYTES_MAX);
  const largestKey = cursor.bytes('largest key', KEY_BYTES_MAX);
  const seqMin = cursor.varint('seqMin');
  const seqMax = cursor.varint('seqMax');
  const entryCount = cursor.varint('entryCount');
  const tombstoneCount = cursor.varint('tombstoneCount');
  const file = { level, fileNumber, sizeBytes, smallestKey, largestKey, seqMin, seqMax, entryCount, tombstoneCount };
  const problem = tableFileProblem(file);
  if (problem !== undefined) cursor.fail(problem);
  return file;
}

function readRemovedTombstone(cursor: EditCursor): number {
  const seq = cursor.varint('removed range tombstone seq');
  const problem = tombstoneSeqProblem(seq);
  if (problem !== undefined) cursor.fail(problem);
  return seq;
}

function readAddedTombstone(cursor: EditCursor): RangeTombstone {
  const seq = toSeqNum(cursor.varint('range tombstone seq'));
  const start = cursor.bytes('range tombstone start', KEY_BYTES_MAX + 1);
  const flag = cursor.varint('range tombstone end flag');
  if (flag !== TombstoneEndFlag.Unbounded && flag !== TombstoneEndFlag.Bounded) cursor.fail(`range tombstone end flag ${flag} is neither 0 nor 1`);
  const end = flag === TombstoneEndFlag.Bounded ? cursor.bytes('range tombstone end', KEY_BYTES_MAX + 1) : undefined;
  const tombstone = { start, end, seq };
  const problem = rangeTombstoneProblem(tombstone);
  if (problem !== undefined) cursor.fail(problem);
  return tombstone;
}
