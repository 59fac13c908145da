/**
 * Names of the files the manifest package reads and writes: `MANIFEST-000005`, `CURRENT`, and
 * the temporary `000005.dbtmp` through which CURRENT is replaced.
 */
import { assert } from '@kv/base';
import { FILE_NUMBER_DIGITS, FILE_NUMBER_DIGITS_MAX, MANIFEST_FILE_PREFIX, TEMP_FILE_SUFFIX } from './format.js';

function paddedNumber(n: number): string {
  assert(Number.isSafeInteger(n) && n >= 0, 'file number is a non-negative safe integer');
  return String(n).padStart(FILE_NUMBER_DIGITS, '0');
}

/** `manifestFileName(5)` is `'MANIFEST-000005'`. */
export function manifestFileName(n: number): string {
  return `${MANIFEST_FILE_PREFIX}${paddedNumber(n)}`;
}

/** The temporary file that becomes CURRENT when it names manifest `n`. */
export function currentTempFileName(n: number): string {
  return `${paddedNumber(n)}${TEMP_FILE_SUFFIX}`;
}

const MANIFEST_NAME = new RegExp(`^${MANIFEST_FILE_PREFIX}(\\d{${FILE_NUMBER_DIGITS},${FILE_NUMBER_DIGITS_MAX}})$`);

/**
 * The number of a manifest file name, or `undefined` for any other name. Only the canonical
 * spelling counts (`MANIFEST-5` and `MANIFEST-0000005` do not), so every number has one name.
 */
export function parseManifestFileName(name: string): number | undefined {
  const digits = MANIFEST_NAME.exec(name)?.[1];
  if (digits === undefined) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) && manifestFileName(n) === name ? n : undefined;
}

const NUMBERED_NAME = new RegExp(`^(?:${MANIFEST_FILE_PREFIX})?(\\d{1,${FILE_NUMBER_DIGITS_MAX}})(?:\\.[A-Za-z0-9]+)?$`);

/**
 * The file number in any name the database's counter may have produced: `MANIFEST-N`, `N.log`,
 * `N.sst`, `N.dbtmp` (any `N.suffix`). `undefined` for other names.
 */
export function usedFileNumber(name: string): number | undefined {
  const digits = NUMBERED_NAME.exec(name)?.[1];
  if (digits === undefined) return undefined;
  const n = Number(digits);
  return Number.isSafeInteger(n) ? n : undefined;
}
