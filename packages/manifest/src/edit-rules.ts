/**
 * The rules a single edit field must satisfy on its own, shared by the encoder (a violation is
 * a bug: `AssertionError`) and the decoder (a violation is damage: `CorruptionError`), so each
 * property is checked before writing and after reading.
 */
import { compareBytes } from '@kv/base';
import { KEY_BYTES_MAX, LEVEL_COUNT } from './format.js';
import type { RangeTombstone } from '@kv/base';
import type { DatabaseOptionsRecord, RemovedFile, TableFileMeta } from './version-edit.js';

function isCount(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Why `level` is not a valid level, or `undefined`. */
export function levelProblem(level: number): string | undefined {
  return Number.isSafeInteger(level) && level >= 0 && level < LEVEL_COUNT ? undefined : `level ${level} is not in 0..${LEVEL_COUNT - 1}`;
}

/** Why `file` cannot be removed as given, or `undefined`. */
export function removedFileProblem(file: RemovedFile): string | undefined {
  if (!isCount(file.fileNumber)) return `file number ${file.fileNumber} is not a non-negative safe integer`;
  return levelProblem(file.level);
}

/** Why `file` is not a valid table description, or `undefined`. */
export function tableFileProblem(file: TableFileMeta): string | undefined {
  const where = `file ${file.fileNumber}`;
  const counts = [file.fileNumber, file.sizeBytes, file.seqMin, file.seqMax, file.entryCount, file.tombstoneCount];
  if (!counts.every(isCount)) return `${where}: a number is not a non-negative safe integer`;
  const level = levelProblem(file.level);
  if (level !== undefined) return `${where}: ${level}`;
  if (file.smallestKey.length > KEY_BYTES_MAX || file.largestKey.length > KEY_BYTES_MAX) return `${where}: key longer than ${KEY_BYTES_MAX} bytes`;
  if (compareBytes(file.smallestKey, file.largestKey) > 0) return `${where}: smallest key sorts after largest key`;
  if (file.seqMin > file.seqMax) return `${where}: seqMin ${file.seqMin} > seqMax ${file.seqMax}`;
  if (file.tombstoneCount > file.entryCount) return `${where}: more tombstones than entries`;
  return undefined;
}

/** Why `options` is not a valid options record, or `undefined`. */
export function optionsProblem(options: DatabaseOptionsRecord): string | undefined {
  if (!isCount(options.pageSizeBytes)) return `page size ${options.pageSizeBytes} is not a non-negative safe integer`;
  const fixed = options.fixedWidth;
  if (fixed !== undefined && !(isCount(fixed.keySize) && isCount(fixed.valueSize))) return 'fixed widths are not non-negative safe integers';
  return undefined;
}

/** Why a scalar field (log number, next file number, last sequence) is invalid, or `undefined`. */
export function scalarProblem(name: string, value: number): string | undefined {
  return isCount(value) ? undefined : `${name} ${value} is not a non-negative safe integer`;
}

/** Why `seq` cannot identify a range tombstone, or `undefined`. */
export function tombstoneSeqProblem(seq: number): string | undefined {
  return isCount(seq) && seq >= 1 ? undefined : `range tombstone seq ${seq} is not a positive safe integer`;
}

/** Why `tombstone` is not a valid range tombstone, or `undefined`. */
export function rangeTombstoneProblem(tombstone: RangeTombstone): string | undefined {
  const seq = tombstoneSeqProblem(tombstone.seq);
  if (seq !== undefined) return seq;
  // An end may be one byte longer than a key: the exclusive end just after the longest key.
  if (tombstone.start.length > KEY_BYTES_MAX + 1 || (tombstone.end?.length ?? 0) > KEY_BYTES_MAX + 1) {
    return `range tombstone ${tombstone.seq}: key longer than ${KEY_BYTES_MAX + 1} bytes`;
  }
  return undefined;
}
