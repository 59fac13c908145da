/**
 * The pure encoder of one version edit (FORMAT.md, "Edit grammar"): the edit format version,
 * tagged fields in ascending tag order, then the end tag. The output is canonical: equal edits encode to
 * equal bytes, so a golden file pins the encoder.
 */
import { assert, encodeVarint, varintLength } from '@kv/base';
import type { RangeTombstone } from '@kv/base';
import { optionsProblem, rangeTombstoneProblem, removedFileProblem, scalarProblem, tableFileProblem, tombstoneSeqProblem } from './edit-rules.js';
import { EditTag, FORMAT_VERSION_CLOSE_MARKER, FORMAT_VERSION_FIRST, FORMAT_VERSION_RANGE_TOMBSTONES, OptionsFlag, TombstoneEndFlag } from './format.js';
import type { DatabaseOptionsRecord, RemovedFile, TableFileMeta, VersionEdit } from './version-edit.js';

/** Collects the varints and byte strings of an edit, then copies them into one array. */
class EditSink {
  private readonly parts: (number | Uint8Array)[] = [];
  private length = 0;

  varint(value: number): void {
    this.parts.push(value);
    this.length += varintLength(value);
  }

  bytes(value: Uint8Array): void {
    this.varint(value.length);
    this.parts.push(value);
    this.length += value.length;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.length);
    let offset = 0;
    for (const part of this.parts) {
      if (typeof part === 'number') {
        offset = encodeVarint(part, out, offset);
      } else {
        out.set(part, offset);
        offset += part.length;
      }
    }
    assert(offset === out.length, 'edit length precomputed exactly');
    return out;
  }
}

/** Encodes `edit`. Requires every field to satisfy the edit rules (a violation is a bug). */
export function encodeVersionEdit(edit: VersionEdit): Uint8Array {
  if (edit.closed === true) return encodeCloseMarker(edit);
  const sink = new EditSink();
  const removedTombstones = edit.removedRangeTombstones ?? [];
  const addedTombstones = edit.addedRangeTombstones ?? [];
  const hasTombstones = removedTombstones.length + addedTombstones.length > 0;
  sink.varint(hasTombstones ? FORMAT_VERSION_RANGE_TOMBSTONES : FORMAT_VERSION_FIRST);
  putScalar(sink, { tag: EditTag.LogNumber, name: 'logNumber', value: edit.logNumber });
  putScalar(sink, { tag: EditTag.NextFileNumber, name: 'nextFileNumber', value: edit.nextFileNumber });
  putScalar(sink, { tag: EditTag.LastSequence, name: 'lastSequence', value: edit.lastSequence });
  if (edit.options !== undefined) putOptions(sink, edit.options);
  for (const file of edit.removedFiles ?? []) putRemovedFile(sink, file);
  for (const file of edit.addedFiles ?? []) putAddedFile(sink, file);
  for (const seq of removedTombstones) putRemovedTombstone(sink, seq);
  for (const tombstone of addedTombstones) putAddedTombstone(sink, tombstone);
  sink.varint(EditTag.End);
  return sink.finish();
}

function putScalar(sink: EditSink, field: { tag: EditTag; name: string; value: number | undefined }): void {
  if (field.value === undefined) return;
  const problem = scalarProblem(field.name, field.value);
  assert(problem === undefined, problem ?? '');
  sink.varint(field.tag);
  sink.varint(field.value);
}

function putOptions(sink: EditSink, options: DatabaseOptionsRecord): void {
  const problem = optionsProblem(options);
  assert(problem === undefined, problem ?? '');
  sink.varint(EditTag.Options);
  sink.varint(options.pageSizeBytes);
  if (options.fixedWidth === undefined) {
    sink.varint(OptionsFlag.VariableWidth);
    return;
  }
  sink.varint(OptionsFlag.FixedWidth);
  sink.varint(options.fixedWidth.keySize);
  sink.varint(options.fixedWidth.valueSize);
}

function putRemovedFile(sink: EditSink, file: RemovedFile): void {
  const problem = removedFileProblem(file);
  assert(problem === undefined, problem ?? '');
  sink.varint(EditTag.RemovedFile);
  sink.varint(file.level);
  sink.varint(file.fileNumber);
}

function putAddedFile(sink: EditSink, file: TableFileMeta): void {
  const problem = tableFileProblem(file);
  assert(problem === undefined, problem ?? '');
  sink.varint(EditTag.AddedFile);
  sink.varint(file.level);
  sink.varint(file.fileNumber);
  sink.varint(file.sizeBytes);
  sink.bytes(file.smallestKey);
  sink.bytes(file.largestKey);
  sink.varint(file.seqMin);
  sink.varint(file.seqMax);
  sink.varint(file.entryCount);
  sink.varint(file.tombstoneCount);
}

function putRemovedTombstone(sink: EditSink, seq: number): void {
  const problem = tombstoneSeqProblem(seq);
  assert(problem === undefined, problem ?? '');
  sink.varint(EditTag.RemovedRangeTombstone);
  sink.varint(seq);
}

function putAddedTombstone(sink: EditSink, tombstone: RangeTombstone): void {
  const problem = rangeTombstoneProblem(tombstone);
  assert(problem === undefined, problem ?? '');
  sink.varint(EditTag.AddedRangeTombstone);
  sink.varint(tombstone.seq);
  sink.bytes(tombstone.start);
  if (tombstone.end === undefined) {
    sink.varint(TombstoneEndFlag.Unbounded);
    return;
  }
  sink.varint(TombstoneEndFlag.Bounded);
  sink.bytes(tombstone.end);
}

/** The close marker: `03 09 00`. It carries nothing else (FORMAT.md, "Edit grammar"). */
function encodeCloseMarker(edit: VersionEdit): Uint8Array {
  assert(Object.keys(edit).length === 1, 'the close marker is alone in its edit');
  return Uint8Array.of(FORMAT_VERSION_CLOSE_MARKER, EditTag.Closed, EditTag.End);
}
