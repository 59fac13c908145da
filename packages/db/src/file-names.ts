/**
 * Names of the files in a database directory. `NNNNNN.log` is a WAL segment; `LOCK` is the
 * process lock. Anything else in the directory is ignored by this version.
 */
import { toFileNum } from '@kv/base';
import type { FileNum } from '@kv/base';
import { FILE_NUMBER_DIGITS, LOG_FILE_SUFFIX } from './format.js';

export function logFileName(number: FileNum): string {
  return `${String(number).padStart(FILE_NUMBER_DIGITS, '0')}${LOG_FILE_SUFFIX}`;
}

const LOG_NAME = /^(\d{6,16})\.log$/;

/** The number of a WAL segment's file name, or undefined for any other name. */
export function parseLogFileName(name: string): FileNum | undefined {
  const match = LOG_NAME.exec(name);
  if (match === null || match[1] === undefined) return undefined;
  const number = Number(match[1]);
  return Number.isSafeInteger(number) ? toFileNum(number) : undefined;
}
