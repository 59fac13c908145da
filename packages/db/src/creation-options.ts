/**
 * Settings fixed when a database is created (page size, strict fixed-width mode), recorded
 * in the manifest. Reopening with different values is INVALID_ARGUMENT; leaving them out
 * uses the recorded ones.
 */
import { InvalidArgumentError } from '@kv/base';
import type { DatabaseOptionsRecord } from '@kv/manifest';
import type { ResolvedOptions } from './options.js';

export const PAGE_SIZE_DEFAULT_BYTES = 4096;

/** What a new database records. */
export function creationRecord(options: ResolvedOptions): DatabaseOptionsRecord {
  const record: DatabaseOptionsRecord = { pageSizeBytes: options.pageSizeBytes ?? PAGE_SIZE_DEFAULT_BYTES };
  if (options.fixedWidth !== undefined) record.fixedWidth = options.fixedWidth;
  return record;
}

/** Checks the caller's options against what the database recorded at creation. */
export function checkCreationRecord(recorded: DatabaseOptionsRecord, options: ResolvedOptions): void {
  if (options.pageSizeBytes !== undefined && options.pageSizeBytes !== recorded.pageSizeBytes) {
    throw new InvalidArgumentError('option pageSize', `the database was created with ${recorded.pageSizeBytes}, not ${options.pageSizeBytes}`);
  }
  const wanted = options.fixedWidth;
  const had = recorded.fixedWidth;
  if (wanted === undefined) return;
  if (had === undefined || had.keySize !== wanted.keySize || had.valueSize !== wanted.valueSize) {
    const was = had === undefined ? 'variable-width' : `keySize ${had.keySize}, valueSize ${had.valueSize}`;
    throw new InvalidArgumentError('options keySize/valueSize', `the database was created ${was}`);
  }
}
