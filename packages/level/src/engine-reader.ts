/**
 * What KvLevel reads through: the engine itself, or an engine snapshot when a read passes
 * abstract-level's `snapshot` option. Both read at one sequence number per call.
 */
import type { DB } from '@kv/db';
import type { AbstractSnapshot } from 'abstract-level';
import { KvLevelSnapshot } from './kv-level-snapshot.js';

export type EngineReader = Pick<DB, 'get' | 'getSync' | 'getMany' | 'has' | 'hasMany' | 'iterator'>;

/** The reader for a read on `db` with abstract-level's `snapshot` option (null or undefined: none). */
export function readerFor(db: DB, snapshot: AbstractSnapshot | null | undefined): EngineReader {
  if (snapshot === undefined || snapshot === null) return db;
  if (snapshot instanceof KvLevelSnapshot && snapshot.database === db) return snapshot.engine;
  throw new TypeError('The snapshot option must be a snapshot of this KvLevel database');
}
