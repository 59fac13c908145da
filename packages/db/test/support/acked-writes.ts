/**
 * The writes a database acknowledged, and the check that it holds exactly them, for tests of
 * a database at `/db` on a `MemoryVfs`.
 */
import { expect } from 'vitest';
import type { MemoryVfs } from '@kv/vfs';
import { DB } from '../../src/index.js';
import type { DbOptions } from '../../src/index.js';
import { text } from './utf8.js';

const decoder = new TextDecoder();

export const key = (i: number): string => `key${String(i).padStart(6, '0')}`;
export const value = (i: number, tag: string): string => `${tag}-${i}-${'v'.repeat(80)}`;

/** Every write whose promise resolved, by key. */
export type Acked = Map<string, string>;

/** Gets and a full forward iteration return exactly `acked` (and nothing else). */
export async function expectExactly(db: DB, acked: Acked): Promise<void> {
  for (const [k, v] of acked) expect(text(await db.get(k)), k).toBe(v);
  const seen: [string, string][] = [];
  for await (const [k, v] of db.iterator()) seen.push([decoder.decode(k), decoder.decode(v)]);
  const expected = [...acked].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  expect(seen).toEqual(expected);
}

/** Reopens the database and checks it holds exactly `acked`; returns the reopened database. */
export async function reopenAndCheck(vfs: MemoryVfs, acked: Acked, options: DbOptions = {}): Promise<DB> {
  const db = await DB.open('/db', { ...options, vfs });
  await expectExactly(db, acked);
  return db;
}

/** Puts keys `from` to `to - 1`, one awaited put each (with `options`), recording each acknowledged write. */
export async function putAll(db: DB, acked: Acked, from: number, to: number, tag: string, options: { sync?: boolean } = {}): Promise<void> {
  for (let i = from; i < to; i++) {
    await db.put(key(i), value(i, tag), options);
    acked.set(key(i), value(i, tag));
  }
}
