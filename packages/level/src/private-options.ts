/**
 * The arguments abstract-level passes to the private methods KvLevel implements (`_get`,
 * `_iterator`, ...). Keys, values and range bounds arrive encoded in one of the formats
 * KvLevel declares (see stored-format.ts); encoding options name those formats. Fields
 * KvLevel does not read are left out.
 */
import type { AbstractSnapshot } from 'abstract-level';
import type { StoredData } from './stored-format.js';

/** `_open`: constructor options merged with `open()` options (engine options included). */
export interface PrivateOpenOptions extends Record<string, unknown> {
  createIfMissing: boolean;
  errorIfExists: boolean;
}

/** `_get`, `_getSync`, `_getMany`. */
export interface PrivateReadOptions {
  valueEncoding: string;
  snapshot?: AbstractSnapshot | null;
}

/** `_has`, `_hasMany`. */
export interface PrivateHasOptions {
  snapshot?: AbstractSnapshot | null;
}

/** `_put`, `_del`, `_batch` and a chained batch's `_write`: classic-level's `sync`. */
export interface PrivateWriteOptions {
  sync?: boolean | undefined;
}

/** One operation of `_batch`, encoded (abstract-level also copies the batch options in). */
export type PrivateBatchOperation = { type: 'put'; key: StoredData; value: StoredData } | { type: 'del'; key: StoredData };

/** The range part of `_iterator`, `_keys`, `_values` and `_clear` options. */
export interface PrivateRangeOptions {
  gt?: StoredData;
  gte?: StoredData;
  lt?: StoredData;
  lte?: StoredData;
  reverse: boolean;
  /** -1 for none, else a non-negative integer. */
  limit: number;
}

/** `_clear`. */
export interface PrivateClearOptions extends PrivateRangeOptions {
  snapshot?: AbstractSnapshot | null;
}

/** `_iterator`, `_keys`, `_values`. */
export interface PrivateIteratorOptions extends PrivateRangeOptions {
  keys?: boolean;
  values?: boolean;
  keyEncoding: string;
  valueEncoding: string;
  snapshot?: AbstractSnapshot | undefined;
}
