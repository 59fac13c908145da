/**
 * The misuse table: its row type, the row builders and the runner that registers a group of
 * rows as tests.
 *
 * Goal: everything a caller can get wrong fails with the documented KvError code (or, where
 * the API allows the input, does exactly what the README says), and never costs a byte of
 * data that was acknowledged before.
 * Strategy: one table, split by group over the db-misuse-*.test.ts files. Each row opens a
 * fresh database seeded with acknowledged writes (a flushed page file, memtable entries, a
 * point delete and a range delete; see misuse-seed.ts), optionally closes it, runs one
 * misuse, and checks the outcome: the KvError code, or for accepted inputs the row's own
 * checks. Rows run on a MemoryVfs unless they need the real file system (paths, symlinks,
 * foreign files, another process).
 * Invariants: after every row the database (when still open) and a fresh reopen of it hold
 * exactly the seeded data plus what the row wrote on purpose (the model): same forward and
 * reverse scans, same getMany. (Rows whose input is rejected before any I/O skip the reopen.)
 */
import { describe, expect, it } from 'vitest';
import { DB } from '../../src/index.js';
import type { DbReader, KvErrorCode } from '../../src/index.js';
import { expectKvError, settle } from './kv-error-code.js';
import { seed } from './misuse-seed.js';
import type { MisuseContext } from './misuse-seed.js';
import { collect, show } from './sorted-model.js';
import type { SortedModel } from './sorted-model.js';

export type MisuseAction = (ctx: MisuseContext) => unknown;
export type MisuseCheck = (ctx: MisuseContext) => Promise<void> | void;

export interface MisuseRow {
  name: string;
  action: MisuseAction;
  /** The KvError code the action must fail with; undefined: the input is accepted. */
  code: KvErrorCode | undefined;
  /** Whether the seeded database is open (default) or closed when the action runs. */
  when?: 'open' | 'closed';
  fs?: 'memory' | 'disk';
  /** Checks of what the action did (after the code check); may update `ctx.model`. */
  then?: MisuseCheck;
  /** Whether to check a reopen too (default true). Off for inputs rejected before any I/O. */
  reopen?: boolean;
}

export const fails = (name: string, code: KvErrorCode, action: MisuseAction, more: Partial<MisuseRow> = {}): MisuseRow => ({ name, code, action, ...more });
export const accepts = (name: string, action: MisuseAction, then?: MisuseCheck, more: Partial<MisuseRow> = {}): MisuseRow => ({ name, code: undefined, action, ...(then === undefined ? {} : { then }), ...more });

/** The database holds exactly `model`: forward and reverse scans and getMany agree. */
export async function expectIntact(db: DbReader, model: SortedModel): Promise<void> {
  const expected = model.scan();
  expect(show(await collect(db.iterator()))).toEqual(show(expected));
  expect(show(await collect(db.iterator({ reverse: true })))).toEqual(show([...expected].reverse()));
  const keys = expected.map(([key]) => key);
  expect(await db.getMany(keys)).toEqual(expected.map(([, value]) => new Uint8Array(value)));
}

async function runRow(row: MisuseRow): Promise<void> {
  const ctx = await seed(row.fs ?? 'memory');
  try {
    if (row.when === 'closed') await ctx.db.close();
    const outcome = await settle(() => row.action(ctx));
    if (row.code === undefined) {
      if ('error' in outcome) throw outcome.error;
    } else {
      expect('error' in outcome, `expected ${row.code}, but the call succeeded`).toBe(true);
      if ('error' in outcome) expectKvError(outcome.error, row.code);
    }
    await row.then?.(ctx);
    if (ctx.db.isOpen) {
      await expectIntact(ctx.db, ctx.model);
      await ctx.db.close();
    }
    if (row.reopen === false) return;
    const again = await DB.open(ctx.dir, ctx.options);
    try {
      await expectIntact(again, ctx.model);
    } finally {
      await again.close();
    }
  } finally {
    await ctx.db.close();
    ctx.cleanup();
  }
}

/** Registers `rows` as the tests of the group `misuse: <group>`. */
export function describeMisuse(group: string, rows: readonly MisuseRow[]): void {
  describe(`misuse: ${group}`, () => {
    for (const row of rows) {
      it(`${row.name} → ${row.code ?? 'accepted'}; acknowledged data intact`, () => runRow(row));
    }
  });
}
