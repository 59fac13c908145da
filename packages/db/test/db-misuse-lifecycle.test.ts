import { expect } from 'vitest';
import { DB, KvError } from '../src/index.js';
import { put } from './support/batch-ops.js';
import { expectCode } from './support/kv-error-code.js';
import { pad, seedKey } from './support/misuse-seed.js';
import type { MisuseContext } from './support/misuse-seed.js';
import { accepts, describeMisuse, fails } from './support/misuse-table.js';
import type { MisuseRow } from './support/misuse-table.js';
import { bytes, text } from './support/utf8.js';

// Goal: use after close fails with NOT_OPEN, a double close is harmless, and a close with
// iterators, a snapshot and writes still in flight loses no acknowledged write.
// Strategy: rows of the misuse table (support/misuse-table.ts): each row runs on a freshly
// seeded database and is followed by a check of every acknowledged write, also after reopen.
// Invariants: the database and a reopen of it hold exactly the seeded data plus what the row
// wrote on purpose (see support/misuse-table.ts).

// ---------------------------------------------------------------------------------------
// Lifecycle: use after close, double close, close with work in flight. (The locks of this
// group are in db-misuse-locks-directories.test.ts.)

const AFTER_CLOSE: readonly [string, (db: DB, ctx: MisuseContext) => unknown][] = [
  ['put', (db) => db.put('k', 'v')],
  ['get', (db) => db.get(seedKey(0))],
  ['getSync', (db) => db.getSync(seedKey(0))],
  ['getMany', (db) => db.getMany([seedKey(0)])],
  ['has', (db) => db.has(seedKey(0))],
  ['hasMany', (db) => db.hasMany([seedKey(0)])],
  ['delete', (db) => db.delete(seedKey(0))],
  ['write', (db) => db.write([put('k', 'v')])],
  ['write of an empty batch', (db) => db.write([])],
  ['clear', (db) => db.clear()],
  ['clear with a limit', (db) => db.clear({ limit: 1 })],
  ['iterator', (db) => db.iterator()],
  ['range', (db) => db.range(seedKey(0), seedKey(9))],
  ['snapshot', (db) => db.snapshot()],
  ['flush', (db) => db.flush()],
  ['compactRange', (db) => db.compactRange()],
  ['checkpoint', (db, ctx) => db.checkpoint(`${ctx.scratch}/checkpoint`)],
  ['stats', (db) => db.stats()],
  ['verify', (db) => db.verify()],
];

const lifecycleRows: MisuseRow[] = [
  ...AFTER_CLOSE.map(([method, call]) => fails(`${method} after close`, 'NOT_OPEN', (ctx) => call(ctx.db, ctx), { when: 'closed' })),
  accepts('double close: the same promise, no error, and a third close after it settled', async ({ db }) => {
    const first = db.close();
    const second = db.close();
    expect(second).toBe(first);
    await first;
    expect(db.close()).toBe(first);
    await db.close();
    expect(db.isOpen).toBe(false);
  }),
  accepts('an iterator and a snapshot made before close throw NOT_OPEN after it; releasing is still fine', async ({ db }) => {
    const iterator = db.iterator();
    iterator.nextSync();
    const snapshot = db.snapshot();
    await db.close();
    await expectCode(() => iterator.nextSync(), 'NOT_OPEN');
    await expectCode(() => iterator.next(), 'NOT_OPEN');
    await expectCode(() => iterator.read(5), 'NOT_OPEN');
    await expectCode(() => iterator.seek(seedKey(3)), 'NOT_OPEN');
    await expectCode(() => snapshot.get(seedKey(0)), 'NOT_OPEN');
    await expectCode(() => snapshot.getSync(seedKey(0)), 'NOT_OPEN');
    await expectCode(() => snapshot.iterator(), 'NOT_OPEN');
    iterator.close();
    snapshot.release();
  }),
  fails('a snapshot used after its release (a second release is fine)', 'NOT_OPEN', ({ db }) => {
    const snapshot = db.snapshot();
    snapshot.release();
    snapshot.release();
    return snapshot.get(seedKey(0));
  }),
  accepts('an iterator used after its own close ends quietly', async ({ db }) => {
    const iterator = db.iterator();
    iterator.close();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(iterator.nextSync()).toBeUndefined();
  }),
  accepts('close with open iterators, a live snapshot and 300 writes still pending', closeWithWorkInFlight),
];

async function closeWithWorkInFlight(ctx: MisuseContext): Promise<void> {
  const { db, model } = ctx;
  const started = db.iterator();
  expect(started.nextSync()).toBeDefined();
  const untouched = db.iterator({ reverse: true });
  const snapshot = db.snapshot();
  // 300 puts of ~200 bytes fill the 4 KiB memtable many times over, so writes are queued
  // behind memtable switches and stalled behind flushes when close() begins.
  const keys = Array.from({ length: 300 }, (_, i) => `pending:${pad(i)}`);
  const valueOf = (key: string): string => `${key} ${'p'.repeat(190)}`;
  const outcomes = keys.map((key) => db.put(key, valueOf(key)).then(() => 'acknowledged' as const, (error: unknown) => error));
  const closing = db.close();
  await expectCode(() => started.nextSync(), 'NOT_OPEN');
  await expectCode(() => untouched.next(), 'NOT_OPEN');
  await expectCode(() => snapshot.get(seedKey(0)), 'NOT_OPEN');
  await expectCode(() => db.put('late', 'x'), 'NOT_OPEN');
  await closing;
  const settled = await Promise.all(outcomes);
  const rejected: string[] = [];
  settled.forEach((outcome, i) => {
    const key = keys[i] as string;
    if (outcome === 'acknowledged') model.apply([{ type: 'put', key: bytes(key), value: bytes(valueOf(key)) }]);
    else {
      expect(outcome, `pending write ${key} failed with a non-KvError`).toBeInstanceOf(KvError);
      rejected.push(key);
    }
  });
  await expectCode(() => started.nextSync(), 'NOT_OPEN');
  // A rejected write may or may not have reached the log; if it did, it is whole. Take such
  // keys out so the runner's reopen compares against acknowledged writes only.
  const again = await DB.open(ctx.dir, ctx.options);
  try {
    for (const key of rejected) {
      const found = await again.get(key);
      if (found !== undefined) expect(text(found)).toBe(valueOf(key));
      await again.delete(key);
    }
  } finally {
    await again.close();
  }
}

describeMisuse('lifecycle and locks', lifecycleRows);
