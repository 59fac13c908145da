/**
 * The options `new KvLevel(location, options)` takes: abstract-level's (encodings,
 * `createIfMissing`, `errorIfExists`) and the engine's (`memoryBudget`, `compression`, ...,
 * see @kv/db's README), and their translation into `DB.open` options.
 */
import type { Compression, DbOptions } from '@kv/db';
import type { AbstractDatabaseOptions } from 'abstract-level';
import { LevelError } from './level-error.js';
import type { PrivateOpenOptions } from './private-options.js';

/** Engine options passed through to `DB.open` (all but `readOnly`, which KvLevel does not offer). */
export interface KvLevelEngineOptions extends Omit<DbOptions, 'createIfMissing' | 'errorIfExists' | 'compression' | 'readOnly'> {
  /** 'none' or 'lz4', or one per level. classic-level's boolean is accepted too: true is
   *  'lz4' (kv has no Snappy) and false is 'none'. Default 'none'. */
  compression?: Compression | readonly Compression[] | boolean;
}

export interface KvLevelOptions<K, V> extends AbstractDatabaseOptions<K, V>, KvLevelEngineOptions {}

/** The engine options of a writable database. */
export type WritableDbOptions = DbOptions & { readOnly?: false };

/**
 * The `DB.open` options for an open. Options the engine does not know (classic-level's
 * `blockSize`, `maxOpenFiles`, ...) are ignored by it; known ones are validated by it.
 * `readOnly` is refused: a read-only open gives another engine class (`ReadOnlyDB`), which
 * KvLevel does not wrap yet.
 */
export function toEngineOptions(options: PrivateOpenOptions): WritableDbOptions {
  const { passive: _passive, compression, readOnly, ...rest } = options;
  if (readOnly !== undefined && readOnly !== false) {
    throw new LevelError('KvLevel does not open databases read-only', { code: 'LEVEL_NOT_SUPPORTED' });
  }
  const engine: Record<string, unknown> = { ...rest };
  if (compression !== undefined) engine['compression'] = toEngineCompression(compression);
  return engine as WritableDbOptions;
}

function toEngineCompression(compression: unknown): unknown {
  if (compression === true) return 'lz4';
  if (compression === false) return 'none';
  return compression;
}
