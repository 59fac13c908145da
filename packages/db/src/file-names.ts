/**
 * Names of the files in a database directory:
 *   NNNNNN.log        WAL segment          NNNNNN.sst   page file
 *   MANIFEST-NNNNNN   manifest             CURRENT      names the live manifest
 *   LOCK              process lock
 * Every other name is a leftover temporary file (or not the engine's) and is ignored;
 * temporary files the engine writes end in `.dbtmp` and are deleted on open.
 */
import { toFileNum } from '@kv/base';
import type { FileNum } from '@kv/base';
import { FILE_NUMBER_DIGITS, LOCK_FILE_NAME, LOG_FILE_SUFFIX, TABLE_FILE_SUFFIX, TEMP_FILE_SUFFIX } from './format.js';

export type FileKind = 'log' | 'table' | 'manifest' | 'current' | 'lock' | 'temp' | 'other';

export interface ClassifiedFile {
  kind: FileKind;
  /** The file number for logs, tables and manifests. */
  number: FileNum | undefined;
}

const padded = (number: FileNum): string => String(number).padStart(FILE_NUMBER_DIGITS, '0');

export function logFileName(number: FileNum): string {
  return `${padded(number)}${LOG_FILE_SUFFIX}`;
}

export function tableFileName(number: FileNum): string {
  return `${padded(number)}${TABLE_FILE_SUFFIX}`;
}

const NUMBERED = /^(\d{6,16})\.(log|sst)$/;
const MANIFEST = /^MANIFEST-(\d{6,16})$/;

/** What a directory entry is, judged by its name alone. */
export function classifyFileName(name: string): ClassifiedFile {
  const numbered = NUMBERED.exec(name);
  if (numbered !== null) return { kind: numbered[2] === 'log' ? 'log' : 'table', number: toNumber(numbered[1]) };
  const manifest = MANIFEST.exec(name);
  if (manifest !== null) return { kind: 'manifest', number: toNumber(manifest[1]) };
  if (name === 'CURRENT') return { kind: 'current', number: undefined };
  if (name === LOCK_FILE_NAME) return { kind: 'lock', number: undefined };
  if (name.endsWith(TEMP_FILE_SUFFIX) || name.startsWith('CURRENT.')) return { kind: 'temp', number: undefined };
  return { kind: 'other', number: undefined };
}

function toNumber(digits: string | undefined): FileNum | undefined {
  const number = Number(digits);
  return Number.isSafeInteger(number) ? toFileNum(number) : undefined;
}

/** The number of a WAL segment's file name, or undefined for any other name. */
export function parseLogFileName(name: string): FileNum | undefined {
  const file = classifyFileName(name);
  return file.kind === 'log' ? file.number : undefined;
}
