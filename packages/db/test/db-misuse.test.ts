import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryVfs, nodeVfs } from '@kv/vfs';
import type { Vfs } from '@kv/vfs';
import { BATCH_OPS_MAX, DB, KEY_SIZE_MAX_BYTES, KvError, TTL_MAX_MS, VALUE_SIZE_MAX_BYTES } from '../src/index.js';
import type { BatchOp, DbOptions, DbReader, KvErrorCode, ReadOnlyDB } from '../src/index.js';
import { SortedModel, collect, show } from './support/sorted-model.js';
import type { ModelOp } from './support/sorted-model.js';

// Goal: everything a caller can get wrong fails with the documented KvError code (or, where
// the API allows the input, does exactly what the README says), and never costs a byte of
// data that was acknowledged before.
// Strategy: one table. Each row opens a fresh database seeded with acknowledged writes (a
// flushed page file, memtable entries, a point delete and a range delete), optionally closes
// it, runs one misuse, and checks the outcome: the KvError code, or for accepted inputs the
// row's own checks. Rows run on a MemoryVfs unless they need the real file system (paths,
// symlinks, foreign files, another process).
// Invariants: after every row the database (when still open) and a fresh reopen of it hold
// exactly the seeded data plus what the row wrote on purpose (the model): same forward and
// reverse scans, same getMany. (Rows whose input is rejected before any I/O skip the reopen.)
// Pinned behaviours (decided from the code, see each row): an inverted range (gt above lt)
// reads nothing and clears nothing, without an error; a directory of unrelated files becomes
// a database alongside them (unknown names are never touched), while files carrying the
// engine's own names are the engine's (temporary names are deleted, a foreign WAL segment is
// CORRUPTION); a path below a regular file is IO_ERROR (ENOTDIR) from mkdir.

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));
const pad = (i: number): string => String(i).padStart(3, '0');
const seedKey = (i: number): string => `seed:${pad(i)}`;
const seedValue = (i: number): string => `seed value ${i} ${'x'.repeat(80)}`;

const SEED_OPTIONS: DbOptions = {
  memtableSize: 4096,
  compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 16 * 1024, targetFileSizeBytes: 4096 },
};

interface Ctx {
  /** The seeded database; already closed when the row runs `when: 'closed'`. */
  db: DB;
  vfs: Vfs;
  dir: string;
  /** An empty directory beside the database (same file system) for rows that need paths of their own. */
  scratch: string;
  /** A real temporary directory, made on first use, for rows that need real paths. */
  temp: () => string;
  /** The options the database is (re)opened with, including the vfs. */
  options: DbOptions;
  /** What the database must hold; rows that write on purpose apply their writes here. */
  model: SortedModel;
}

type Action = (ctx: Ctx) => unknown;
type Then = (ctx: Ctx) => Promise<void> | void;

interface Row {
  name: string;
  action: Action;
  /** The KvError code the action must fail with; undefined: the input is accepted. */
  code: KvErrorCode | undefined;
  /** Whether the seeded database is open (default) or closed when the action runs. */
  when?: 'open' | 'closed';
  fs?: 'memory' | 'disk';
  /** Checks of what the action did (after the code check); may update `ctx.model`. */
  then?: Then;
  /** Whether to check a reopen too (default true). Off for inputs rejected before any I/O. */
  reopen?: boolean;
}

const fails = (name: string, code: KvErrorCode, action: Action, more: Partial<Row> = {}): Row => ({ name, code, action, ...more });
const accepts = (name: string, action: Action, then?: Then, more: Partial<Row> = {}): Row => ({ name, code: undefined, action, ...(then === undefined ? {} : { then }), ...more });

/**
 * Opens with `options` (writable or read-only, or anything a caller might pass) and closes
 * again at once, so a wrongly accepted open leaks no lock.
 */
async function openAndClose(dir: string, options?: unknown): Promise<void> {
  const open = DB.open.bind(DB) as (location: string, options?: unknown) => Promise<{ close(): Promise<void> }>;
  const db = await open(dir, options);
  await db.close();
}

/** Runs `use` on a read-only open of the seeded directory, closing it afterwards. */
async function withReadOnly(ctx: Ctx, use: (reader: ReadOnlyDB) => unknown): Promise<unknown> {
  const reader = await openReadOnly(ctx);
  try {
    return await use(reader);
  } finally {
    await reader.close();
  }
}

function openReadOnly(ctx: Ctx): Promise<ReadOnlyDB> {
  return DB.open(ctx.dir, { ...ctx.options, readOnly: true });
}

/** Calls `action`, turning a synchronous throw into the same outcome as a rejection. */
async function settle(action: () => unknown): Promise<{ error: unknown } | { value: unknown }> {
  try {
    return { value: await action() };
  } catch (error) {
    return { error };
  }
}

function expectKvError(error: unknown, code: KvErrorCode): void {
  expect(error, `expected KvError ${code}, got ${String(error)}`).toBeInstanceOf(KvError);
  expect(error).toMatchObject({ name: 'KvError', code });
}

async function expectCode(action: () => unknown, code: KvErrorCode): Promise<void> {
  const outcome = await settle(action);
  expect('error' in outcome, `expected ${code}, but the call succeeded`).toBe(true);
  if ('error' in outcome) expectKvError(outcome.error, code);
}

/** The database holds exactly `model`: forward and reverse scans and getMany agree. */
async function expectIntact(db: DbReader, model: SortedModel): Promise<void> {
  const expected = model.scan();
  expect(show(await collect(db.iterator()))).toEqual(show(expected));
  expect(show(await collect(db.iterator({ reverse: true })))).toEqual(show([...expected].reverse()));
  const keys = expected.map(([key]) => key);
  expect(await db.getMany(keys)).toEqual(expected.map(([, value]) => new Uint8Array(value)));
}

/** Opens a database in `dir` with acknowledged writes in a page file and in the memtable. */
async function seed(fs: 'memory' | 'disk'): Promise<Ctx & { cleanup: () => void }> {
  let root: string | undefined;
  const temp = (): string => (root ??= mkdtempSync(join(tmpdir(), 'kv-misuse-')));
  const cleanup = (): void => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  };
  let vfs: Vfs;
  let dir: string;
  let scratch: string;
  if (fs === 'memory') {
    vfs = new MemoryVfs();
    dir = '/db';
    scratch = '/scratch';
    await vfs.mkdir(scratch, { recursive: true });
  } else {
    vfs = nodeVfs;
    dir = join(temp(), 'db');
    scratch = join(temp(), 'scratch');
    mkdirSync(scratch);
  }
  const options: DbOptions = fs === 'memory' ? { ...SEED_OPTIONS, vfs } : SEED_OPTIONS;
  const model = new SortedModel();
  const db = await DB.open(dir, options);
  const write = async (ops: BatchOp[]): Promise<void> => {
    await db.write(ops);
    model.apply(ops.map(toModelOp));
  };
  await write(Array.from({ length: 40 }, (_, i) => ({ type: 'put', key: seedKey(i), value: seedValue(i) })));
  await db.flush();
  for (let i = 40; i < 50; i++) await write([{ type: 'put', key: seedKey(i), value: seedValue(i) }]);
  await write([{ type: 'del', key: seedKey(5) }]);
  await write([{ type: 'delRange', start: seedKey(30), end: seedKey(35) }]);
  return { db, vfs, dir, scratch, temp, options, model, cleanup };
}

function toModelOp(op: BatchOp): ModelOp {
  const asBytes = (input: Uint8Array | string): Uint8Array => (typeof input === 'string' ? bytes(input) : new Uint8Array(input));
  if (op.type === 'put') return { type: 'put', key: asBytes(op.key), value: asBytes(op.value) };
  if (op.type === 'del') return { type: 'del', key: asBytes(op.key) };
  return { type: 'delRange', start: asBytes(op.start), end: asBytes(op.end) };
}

const put = (key: Uint8Array | string, value: Uint8Array | string): BatchOp => ({ type: 'put', key, value });

async function runRow(row: Row): Promise<void> {
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

/** Runs child/open-probe.mjs on `dir` in another process; resolves with what it printed. */
function probeFromOtherProcess(dir: string): Promise<{ ok: true } | { name: string; code: KvErrorCode; message: string }> {
  const child = spawn(process.execPath, [new URL('./child/open-probe.mjs', import.meta.url).pathname, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => {
      if (exitCode !== 0) reject(new Error(`open-probe exited with ${exitCode}: ${output}`));
      else resolve(JSON.parse(output) as never);
    });
  });
}

/** Re-raises the child's error here, as the KvError it was, so the row checks its code. */
async function openFromOtherProcess(dir: string): Promise<void> {
  const result = await probeFromOtherProcess(dir);
  if ('ok' in result) return;
  if (result.name !== 'KvError') throw new Error(`the other process failed with ${result.name}: ${result.message}`);
  throw new KvError(result.code, result.message);
}

// ---------------------------------------------------------------------------------------
// Wrong types. Buffers are Uint8Arrays and are accepted (see the rows further down).

const BAD_BYTES: readonly [string, () => unknown][] = [
  ['a number', () => 42],
  ['null', () => null],
  ['undefined', () => undefined],
  ['a plain object', () => ({ key: 'k' })],
  ['an array', () => ['k']],
  ['a boolean', () => true],
  ['a symbol', () => Symbol('k')],
  ['a bigint', () => 1n],
  ['a Uint16Array', () => new Uint16Array(2)],
  ['an ArrayBuffer', () => new ArrayBuffer(2)],
  ['a DataView', () => new DataView(new ArrayBuffer(2))],
];

/** A few of them for every other place that takes a key. Not undefined: a bound or a
 *  `compactRange` argument that is undefined means "no bound", which is no misuse. */
const SOME_BAD_BYTES = BAD_BYTES.filter(([label]) => ['a number', 'null', 'a plain object', 'an ArrayBuffer'].includes(label));

const wrongTypeRows: Row[] = [
  ...BAD_BYTES.flatMap(([label, bad]): Row[] => [
    fails(`put with ${label} as the key`, 'INVALID_ARGUMENT', ({ db }) => db.put(bad() as never, 'v')),
    fails(`put with ${label} as the value`, 'INVALID_ARGUMENT', ({ db }) => db.put(seedKey(0), bad() as never)),
  ]),
  ...SOME_BAD_BYTES.flatMap(([label, bad]): Row[] => [
    fails(`get of ${label}`, 'INVALID_ARGUMENT', ({ db }) => db.get(bad() as never)),
    fails(`getSync of ${label}`, 'INVALID_ARGUMENT', ({ db }) => db.getSync(bad() as never)),
    fails(`has of ${label}`, 'INVALID_ARGUMENT', ({ db }) => db.has(bad() as never)),
    fails(`getMany with ${label} among the keys`, 'INVALID_ARGUMENT', ({ db }) => db.getMany([seedKey(0), bad() as never])),
    fails(`delete of ${label}`, 'INVALID_ARGUMENT', ({ db }) => db.delete(bad() as never)),
    fails(`batch put with ${label} as the key`, 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), { type: 'put', key: bad() as never, value: 'v' }])),
    fails(`batch put with ${label} as the value`, 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), { type: 'put', key: 'k', value: bad() as never }])),
    fails(`batch del of ${label}`, 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), { type: 'del', key: bad() as never }])),
    fails(`iterator seek to ${label}`, 'INVALID_ARGUMENT', ({ db }) => {
      const iterator = db.iterator();
      try {
        iterator.seek(bad() as never);
      } finally {
        iterator.close();
      }
    }),
  ]),
  ...SOME_BAD_BYTES.flatMap(([label, bad]): Row[] => [
    fails(`iterator with ${label} as gte`, 'INVALID_ARGUMENT', ({ db }) => db.iterator({ gte: bad() as never })),
    fails(`iterator with ${label} as lt`, 'INVALID_ARGUMENT', ({ db }) => db.iterator({ lt: bad() as never })),
    fails(`clear with ${label} as lte`, 'INVALID_ARGUMENT', ({ db }) => db.clear({ lte: bad() as never })),
    fails(`range with ${label} as the start`, 'INVALID_ARGUMENT', ({ db }) => db.range(bad() as never, seedKey(9))),
    fails(`delRange with ${label} as the start`, 'INVALID_ARGUMENT', ({ db }) => db.write([{ type: 'delRange', start: bad() as never, end: seedKey(9) }])),
    fails(`compactRange from ${label}`, 'INVALID_ARGUMENT', ({ db }) => db.compactRange(bad() as never)),
  ]),
  fails('getMany of a string instead of an array', 'INVALID_ARGUMENT', ({ db }) => db.getMany(seedKey(0) as never)),
  fails('hasMany of a string instead of an array', 'INVALID_ARGUMENT', ({ db }) => db.hasMany(seedKey(0) as never)),
  fails('write of an object instead of an array', 'INVALID_ARGUMENT', ({ db }) => db.write(put('k', 'v') as never)),
  fails('write of undefined', 'INVALID_ARGUMENT', ({ db }) => db.write(undefined as never)),
  fails('write with null as an operation', 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), null as never])),
  fails('write with a string as an operation', 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), 'put' as never])),
  ...[5, 'sync', null, { sync: 'yes' }, { sync: 1 }, { sync: null }].flatMap((bad): Row[] => [
    fails(`put with write options ${JSON.stringify(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.put(seedKey(0), 'changed', bad as never)),
    fails(`write with write options ${JSON.stringify(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed')], bad as never)),
  ]),
  fails('delete with write options 5', 'INVALID_ARGUMENT', ({ db }) => db.delete(seedKey(0), 5 as never)),
  fails('delete with write options { sync: "yes" }', 'INVALID_ARGUMENT', ({ db }) => db.delete(seedKey(0), { sync: 'yes' } as never)),
  ...[null, 5, 'all', true].flatMap((bad): Row[] => [
    fails(`iterator with options ${JSON.stringify(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.iterator(bad as never)),
    fails(`clear with options ${JSON.stringify(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.clear(bad as never)),
  ]),
  fails('iterator with keys: "no"', 'INVALID_ARGUMENT', ({ db }) => db.iterator({ keys: 'no' as never })),
  fails('iterator with values: 0', 'INVALID_ARGUMENT', ({ db }) => db.iterator({ values: 0 as never })),
  accepts('Buffers as key and value (they are Uint8Arrays), read back as plain bytes', async ({ db, model }) => {
    // Small Buffers share Node's pool: only the view's own bytes may be stored.
    const key = Buffer.from('buffer key');
    const value = Buffer.from('buffer value');
    expect(key.buffer.byteLength).toBeGreaterThan(key.length);
    await db.put(key, value);
    model.apply([{ type: 'put', key: bytes('buffer key'), value: bytes('buffer value') }]);
    expect(text(await db.get(Buffer.from('buffer key')))).toBe('buffer value');
  }, undefined, { reopen: true }),
];

// ---------------------------------------------------------------------------------------
// Sizes and limits.

const sizeRows: Row[] = [
  accepts('the empty key: put, get, scan first, delete, put again, in a batch', async ({ db, model }) => {
    await db.put('', 'empty key');
    expect(text(await db.get(''))).toBe('empty key');
    expect(text(await db.get(new Uint8Array(0)))).toBe('empty key');
    expect(await db.has('')).toBe(true);
    const [first] = await collect(db.iterator({ limit: 1 }));
    expect(first?.[0]).toEqual(new Uint8Array(0));
    await db.delete(new Uint8Array(0));
    expect(await db.get('')).toBeUndefined();
    await db.write([{ type: 'put', key: '', value: 'again' }, { type: 'put', key: new Uint8Array(0), value: new Uint8Array(0) }]);
    expect(await db.get('')).toEqual(new Uint8Array(0));
    model.apply([{ type: 'put', key: new Uint8Array(0), value: new Uint8Array(0) }]);
    await db.flush();
    expect(await db.get('')).toEqual(new Uint8Array(0));
  }),
  fails('a key one byte over KEY_SIZE_MAX_BYTES', 'INVALID_ARGUMENT', ({ db }) => db.put(new Uint8Array(KEY_SIZE_MAX_BYTES + 1), 'v')),
  fails('a string key over the limit in UTF-8 bytes though not in characters', 'INVALID_ARGUMENT', ({ db }) => db.put('é'.repeat(KEY_SIZE_MAX_BYTES / 2 + 1), 'v')),
  fails('an oversized key in a batch after a valid put', 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), put(new Uint8Array(KEY_SIZE_MAX_BYTES + 1), 'v')])),
  fails('get of an oversized key', 'INVALID_ARGUMENT', ({ db }) => db.get(new Uint8Array(KEY_SIZE_MAX_BYTES + 1))),
  fails('delete of an oversized key', 'INVALID_ARGUMENT', ({ db }) => db.delete(new Uint8Array(KEY_SIZE_MAX_BYTES + 1))),
  fails('an iterator bound over the key limit', 'INVALID_ARGUMENT', ({ db }) => db.iterator({ gte: new Uint8Array(KEY_SIZE_MAX_BYTES + 1) })),
  accepts('a key of exactly KEY_SIZE_MAX_BYTES UTF-8 bytes', async ({ db, model }) => {
    const key = `${'é'.repeat((KEY_SIZE_MAX_BYTES - 1) / 2)}a`;
    expect(bytes(key).length).toBe(KEY_SIZE_MAX_BYTES);
    await db.put(key, 'max');
    model.apply([{ type: 'put', key: bytes(key), value: bytes('max') }]);
    expect(text(await db.get(key))).toBe('max');
  }),
  // A zero-filled typed array is allocated lazily, so the only real cost is the engine's copy.
  fails('a value one byte over VALUE_SIZE_MAX_BYTES', 'INVALID_ARGUMENT', ({ db }) => db.put(seedKey(0), new Uint8Array(VALUE_SIZE_MAX_BYTES + 1))),
  fails('a value over the limit in a batch after a valid put', 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), put('huge', new Uint8Array(VALUE_SIZE_MAX_BYTES + 1))])),
  fails('a batch of more than BATCH_OPS_MAX operations', 'INVALID_ARGUMENT', ({ db }) => db.write(new Array<BatchOp>(BATCH_OPS_MAX + 1))),
];

// ---------------------------------------------------------------------------------------
// Ranges and limits of iterators and clear.

const BAD_LIMITS: readonly unknown[] = [-2, 1.5, Number.NaN, -Infinity, '3', null, true];
const keysOf = (entries: [Uint8Array, Uint8Array][]): (string | undefined)[] => entries.map(([key]) => text(key));

const rangeRows: Row[] = [
  accepts('an iterator with gt above lt reads nothing (no error), forward and reverse', async ({ db }) => {
    expect(await collect(db.iterator({ gt: seedKey(40), lt: seedKey(10) }))).toEqual([]);
    expect(await collect(db.iterator({ gte: seedKey(40), lte: seedKey(10), reverse: true }))).toEqual([]);
    expect(await collect(db.iterator({ gte: seedKey(20), lt: seedKey(20) }))).toEqual([]);
    expect(await collect(db.range(seedKey(40), seedKey(10)))).toEqual([]);
    expect(keysOf(await collect(db.iterator({ gte: seedKey(20), lte: seedKey(20) })))).toEqual([seedKey(20)]);
  }),
  accepts('clear with gt above lt deletes nothing (no error), also with a limit', async ({ db }) => {
    await db.clear({ gt: seedKey(40), lt: seedKey(10) });
    await db.clear({ gte: seedKey(40), lte: seedKey(10), limit: 3 });
    await db.clear({ gte: seedKey(40), lte: seedKey(10), limit: 3, reverse: true });
    await db.flush();
    await db.compactRange();
  }),
  accepts('delRange with start after end, or start equal to end, deletes nothing (no error)', async ({ db }) => {
    await db.write([{ type: 'delRange', start: seedKey(40), end: seedKey(10) }]);
    await db.write([{ type: 'delRange', start: seedKey(20), end: seedKey(20) }]);
    await db.flush();
    await db.compactRange();
  }),
  accepts('compactRange with start after end (no error)', ({ db }) => db.compactRange(seedKey(40), seedKey(10))),
  ...BAD_LIMITS.flatMap((bad): Row[] => [
    fails(`iterator with limit ${String(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.iterator({ limit: bad as never }), { reopen: false }),
    fails(`clear with limit ${String(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.clear({ limit: bad as never }), { reopen: false }),
  ]),
  accepts('limits 0, -1 and Infinity: nothing, then everything', async ({ db, model }) => {
    expect(await collect(db.iterator({ limit: 0 }))).toEqual([]);
    expect(await collect(db.iterator({ limit: -1 }))).toHaveLength(model.scan().length);
    expect(await collect(db.iterator({ limit: Infinity }))).toHaveLength(model.scan().length);
    await db.clear({ limit: 0 });
  }),
];

// ---------------------------------------------------------------------------------------
// Batches, TTL, buffer reuse.

const BAD_TTLS: readonly unknown[] = [0, -1, 1.5, Number.NaN, Infinity, '1000', null, TTL_MAX_MS + 1, { ms: 5 }];

const batchRows: Row[] = [
  ...['merge', 'PUT', 'delete', undefined, 1].map((type) =>
    fails(`batch with op type ${String(type)} after a valid put`, 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), { type, key: seedKey(1), value: 'v' } as never])),
  ),
  fails('batch delRange without end', 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), { type: 'delRange', start: seedKey(0) } as never])),
  fails('batch delRange without start', 'INVALID_ARGUMENT', ({ db }) => db.write([{ type: 'delRange', end: seedKey(9) } as never])),
  fails('batch put without a value', 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), { type: 'put', key: 'k' } as never])),
  fails('batch put without a key', 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), { type: 'put', value: 'v' } as never])),
  accepts('duplicate keys in one batch: the later operation wins, also after flush and reopen', async ({ db, model }) => {
    const ops: BatchOp[] = [
      put('dup:a', 'first'), put('dup:a', 'second'),
      put('dup:b', 'doomed'), { type: 'del', key: 'dup:b' },
      { type: 'del', key: 'dup:c' }, put('dup:c', 'revived'),
      put(seedKey(1), 'overwritten'), { type: 'delRange', start: seedKey(1), end: seedKey(2) }, put(seedKey(1), 'final'),
    ];
    await db.write(ops);
    model.apply(ops.map(toModelOp));
    expect(await db.getMany(['dup:a', 'dup:b', 'dup:c', seedKey(1)])).toEqual([bytes('second'), undefined, bytes('revived'), bytes('final')]);
    await db.flush();
    expect(text(await db.get(seedKey(1)))).toBe('final');
  }),
  ...BAD_TTLS.flatMap((bad): Row[] => [
    fails(`put with ttl ${String(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.put(seedKey(0), 'changed', { ttl: bad as never }), { reopen: false }),
    fails(`batch put with ttl ${String(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), { type: 'put', key: 'k', value: 'v', ttl: bad as never }]), { reopen: false }),
  ]),
  accepts('ttl of exactly TTL_MAX_MS', async ({ db, model }) => {
    await db.put('long-lived', 'v', { ttl: TTL_MAX_MS });
    model.apply([{ type: 'put', key: bytes('long-lived'), value: bytes('v') }]);
  }),
  fails('a fixed-width database given a key of the wrong width', 'INVALID_ARGUMENT', async ({ vfs, scratch }) => {
    const fixed = await DB.open(`${scratch}/fixed`, { vfs, keySize: 4, valueSize: 2 });
    try {
      await fixed.put('abcd', 'ok');
      await fixed.write([put('wxyz', 'ok'), put('abc', 'no')]);
    } finally {
      await fixed.close();
    }
  }, {
    then: async ({ vfs, scratch }) => {
      const fixed = await DB.open(`${scratch}/fixed`, { vfs });
      expect(show(await collect(fixed.iterator()))).toEqual(show([[bytes('abcd'), bytes('ok')]]));
      await expectCode(() => fixed.put('abcd', 'toolong'), 'INVALID_ARGUMENT');
      await expectCode(() => fixed.put('abcd', 'ok', { ttl: 10 }), 'INVALID_ARGUMENT');
      await fixed.close();
    },
  }),
  accepts('mutating key and value buffers right after put, before it resolves', async ({ db, model }) => {
    const key = bytes('mutated:key');
    const value = bytes('original value');
    const pending = db.put(key, value);
    key.fill(0x41);
    value.fill(0x42);
    await pending;
    model.apply([{ type: 'put', key: bytes('mutated:key'), value: bytes('original value') }]);
    expect(await db.get(key)).toBeUndefined();
  }),
  accepts('mutating a batch (its array, op objects and buffers) right after write', async ({ db, model }) => {
    const value = bytes('batch value');
    const ops: BatchOp[] = [{ type: 'put', key: 'batch:a', value }, { type: 'del', key: seedKey(2) }];
    const pending = db.write(ops);
    value.fill(0);
    (ops[0] as { key: string }).key = 'batch:hijacked';
    ops.push({ type: 'delRange', start: '', end: '\u{10FFFF}' });
    ops.splice(1, 1);
    await pending;
    model.apply([{ type: 'put', key: bytes('batch:a'), value: bytes('batch value') }, { type: 'del', key: bytes(seedKey(2)) }]);
  }),
  accepts('reusing one buffer for 200 unawaited puts (queued behind memtable switches) stores each call’s content', async ({ db, model }) => {
    const key = new Uint8Array(8);
    const value = new Uint8Array(100);
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 200; i++) {
      key.set(bytes(`reuse${pad(i)}`));
      value.fill(i);
      writes.push(db.put(key, value));
      model.apply([{ type: 'put', key: bytes(`reuse${pad(i)}`), value: new Uint8Array(100).fill(i) }]);
    }
    key.fill(0);
    await Promise.all(writes);
  }),
  accepts('mutating what reads return, and an iterator bound after the iterator was made', async ({ db }) => {
    (await db.get(seedKey(0)))?.fill(0);
    db.getSync(seedKey(0))?.fill(0);
    (await db.getMany([seedKey(0)]))[0]?.fill(0);
    for await (const [key, value] of db.iterator({ limit: 3 })) {
      key.fill(0);
      value.fill(0);
    }
    const bound = bytes(seedKey(45));
    const iterator = db.iterator({ gte: bound });
    bound.set(bytes(seedKey(0)));
    expect(keysOf(await collect(iterator))).toEqual([45, 46, 47, 48, 49].map(seedKey));
  }),
];

// ---------------------------------------------------------------------------------------
// Lifecycle: use after close, double close, close with work in flight, locks.

const AFTER_CLOSE: readonly [string, (db: DB, ctx: Ctx) => unknown][] = [
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

const lifecycleRows: Row[] = [
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
  fails('a second open of the same directory in one process', 'LOCKED', ({ dir, options }) => openAndClose(dir, options)),
  fails('a second open spelling the directory differently (/db/, /db//, db, /x/../db, //db)', 'LOCKED', ({ options }) =>
    allLocked(['/db/', '/db//', 'db', '/x/../db', '//db'], (spelling) => openAndClose(spelling, options)),
  ),
  fails('two opens of one new directory at once: exactly one wins', 'LOCKED', async ({ scratch, options }) => {
    const results = await Promise.allSettled([DB.open(`${scratch}/race`, options), DB.open(`${scratch}/race`, options)]);
    const opened = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(opened).toHaveLength(1);
    for (const db of opened) await db.close();
    throw results.find((result) => result.status === 'rejected')?.reason;
  }),
  fails('DB.destroy of an open database', 'LOCKED', ({ dir, vfs }) => DB.destroy(dir, { vfs })),
  fails('DB.repair of an open database', 'LOCKED', ({ dir, vfs }) => DB.repair(dir, { vfs })),
  fails('a second open on disk: as is, as <dir>/, <dir>/., <dir>/../db, and through a symlink', 'LOCKED', ({ dir, scratch }) => {
    symlinkSync(dir, join(scratch, 'link'));
    return allLocked([dir, `${dir}/`, `${dir}/.`, `${dir}/../db`, join(scratch, 'link')], (spelling) => openAndClose(spelling, SEED_OPTIONS));
  }, { fs: 'disk' }),
  fails('an open from another process while this one holds the directory', 'LOCKED', ({ dir }) => openFromOtherProcess(dir), {
    fs: 'disk',
    then: async ({ db, dir }) => {
      // The failed attempt must not have broken the lock or left anything behind: once this
      // process closes, the other process opens normally.
      await db.close();
      expect(await probeFromOtherProcess(dir)).toEqual({ ok: true });
    },
  }),
];

/** Every spelling but the last must be LOCKED here; the last one's outcome goes to the row. */
async function allLocked(spellings: readonly string[], open: (spelling: string) => Promise<void>): Promise<void> {
  for (const spelling of spellings.slice(0, -1)) await expectCode(() => open(spelling), 'LOCKED');
  return open(spellings.at(-1) as string);
}

async function closeWithWorkInFlight(ctx: Ctx): Promise<void> {
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

// ---------------------------------------------------------------------------------------
// Directories: not a database, a file, missing, read-only.

const USER_FILES: Record<string, string> = { 'notes.txt': 'my notes', 'data.log': 'an application log', 'photo.jpg': '\u00ff\u00d8 not really' };

const directoryRows: Row[] = [
  accepts('a directory of unrelated files becomes a database alongside them, and they stay untouched', async ({ temp }) => {
    const dir = join(temp(), 'mine');
    mkdirSync(join(dir, 'subdir'), { recursive: true });
    for (const [name, content] of Object.entries(USER_FILES)) writeFileSync(join(dir, name), content);
    const db = await DB.open(dir, SEED_OPTIONS);
    await db.put('k', 'v');
    await db.close();
    const again = await DB.open(dir, { ...SEED_OPTIONS, readOnly: true });
    expect(text(await again.get('k'))).toBe('v');
    await again.close();
    for (const [name, content] of Object.entries(USER_FILES)) expect(readFileSync(join(dir, name), 'utf8')).toBe(content);
    // DB.destroy removes the engine's files only, so the directory and the user's files stay.
    await DB.destroy(dir);
    expect(readdirSync(dir).sort()).toEqual([...Object.keys(USER_FILES), 'subdir'].sort());
  }),
  accepts('files carrying the engine’s temporary names (CURRENT.*, *.dbtmp) and a stray MANIFEST are the engine’s: open deletes them', async ({ temp }) => {
    const dir = join(temp(), 'named');
    mkdirSync(dir);
    for (const name of ['CURRENT.txt', 'upload.dbtmp', 'MANIFEST-000003', 'notes.txt']) writeFileSync(join(dir, name), 'user data');
    await openAndClose(dir, SEED_OPTIONS);
    const left = readdirSync(dir);
    expect(left).toContain('notes.txt');
    for (const name of ['CURRENT.txt', 'upload.dbtmp', 'MANIFEST-000003']) expect(left).not.toContain(name);
  }),
  ...[
    ['a foreign file named like a WAL segment (000007.log)', '000007.log'],
    ['a foreign file named like a page file (000009.sst) and no CURRENT', '000009.sst'],
    ['a foreign file named CURRENT', 'CURRENT'],
  ].map(([label, name]) =>
    fails(`opening a directory with ${label}: it is not replayed, deleted or rewritten`, 'CORRUPTION', ({ temp }) => {
      const dir = join(temp(), 'foreign');
      mkdirSync(dir);
      writeFileSync(join(dir, name as string), 'this is a user file, not a database file\n'.repeat(3));
      return openAndClose(dir, SEED_OPTIONS);
    }, {
      then: ({ temp }) => {
        expect(readFileSync(join(temp(), 'foreign', name as string), 'utf8')).toBe('this is a user file, not a database file\n'.repeat(3));
      },
    }),
  ),
  fails('a regular file as the location', 'INVALID_ARGUMENT', ({ temp }) => {
    writeFileSync(join(temp(), 'file'), 'x');
    return openAndClose(join(temp(), 'file'), SEED_OPTIONS);
  }, { then: ({ temp }) => expect(readFileSync(join(temp(), 'file'), 'utf8')).toBe('x') }),
  fails('a file of the database (CURRENT) as the location', 'INVALID_ARGUMENT', ({ dir, options }) => openAndClose(`${dir}/CURRENT`, options), { when: 'closed' }),
  fails('a regular file as the location, read-only', 'INVALID_ARGUMENT', ({ temp }) => {
    writeFileSync(join(temp(), 'file'), 'x');
    return openAndClose(join(temp(), 'file'), { ...SEED_OPTIONS, readOnly: true });
  }),
  fails('a regular file as the location in a MemoryVfs', 'INVALID_ARGUMENT', async ({ vfs, options }) => {
    const file = await vfs.open('/file', { create: true, write: true });
    await file.close();
    return openAndClose('/file', options);
  }),
  // mkdir under a regular file fails with ENOTDIR, which the vfs reports as an I/O error.
  fails('a location below a regular file', 'IO_ERROR', ({ temp }) => {
    writeFileSync(join(temp(), 'file'), 'x');
    return openAndClose(join(temp(), 'file', 'db'), SEED_OPTIONS);
  }),
  fails('a read-only open of a missing directory (nothing is created)', 'INVALID_ARGUMENT', ({ options }) => openAndClose('/missing', { ...options, readOnly: true }), {
    then: async ({ vfs }) => expect(await vfs.stat('/missing')).toBeUndefined(),
  }),
  fails('a read-only open of a missing directory on disk (nothing is created)', 'INVALID_ARGUMENT', ({ temp }) => openAndClose(join(temp(), 'missing'), { ...SEED_OPTIONS, readOnly: true }), {
    then: ({ temp }) => expect(readdirSync(temp())).toEqual([]),
  }),
  fails('a read-only open of an empty directory', 'INVALID_ARGUMENT', ({ options, scratch }) => openAndClose(scratch, { ...options, readOnly: true })),
  fails('createIfMissing: false on a missing directory (nothing is created)', 'INVALID_ARGUMENT', ({ options, scratch }) => openAndClose(`${scratch}/missing`, { ...options, createIfMissing: false }), {
    then: async ({ vfs, scratch }) => expect(await vfs.stat(`${scratch}/missing`)).toBeUndefined(),
  }),
  fails('errorIfExists: true on the existing database', 'INVALID_ARGUMENT', ({ dir, options }) => openAndClose(dir, { ...options, errorIfExists: true }), { when: 'closed' }),
  ...(['put', 'delete', 'write', 'clear', 'flush', 'compactRange'] as const).map((method) =>
    fails(`${method} through a read-only open beside the writer`, 'READ_ONLY', (ctx) =>
      withReadOnly(ctx, async (reader) => {
        await expectIntact(reader, ctx.model);
        const call = reader[method] as (...args: unknown[]) => Promise<unknown>;
        return call.call(reader, seedKey(0), 'changed');
      }),
    ),
  ),
  fails('a put through a closed read-only database', 'NOT_OPEN', async (ctx) => {
    const reader = await openReadOnly(ctx);
    await reader.close();
    return reader.put(seedKey(0), 'changed');
  }),
  fails('refreshing a read-only database under a live snapshot', 'NOT_SUPPORTED', (ctx) =>
    withReadOnly(ctx, (reader) => {
      reader.snapshot();
      return reader.refresh();
    }),
  ),
];

// ---------------------------------------------------------------------------------------
// Open options: invalid ones are INVALID_ARGUMENT and leave the closed database as it was.

const BAD_OPTIONS: readonly [string, unknown][] = [
  ['memoryBudget -1', { memoryBudget: -1 }],
  ['memoryBudget 1.5', { memoryBudget: 1.5 }],
  ['memoryBudget "64MB"', { memoryBudget: '64MB' }],
  ['memtableSize 100 (below 4 KiB)', { memtableSize: 100 }],
  ['memtableSize over 1 GiB', { memtableSize: 2 ** 30 + 1 }],
  ['cacheSize -1', { cacheSize: -1 }],
  ['pageSize 3000 (not a power of two)', { pageSize: 3000 }],
  ['pageSize 512 (too small)', { pageSize: 512 }],
  ['pageSize 131072 (too large)', { pageSize: 131072 }],
  ["compression 'zstd'", { compression: 'zstd' }],
  ["compression ['lz4', 'zstd']", { compression: ['lz4', 'zstd'] }],
  ['compression []', { compression: [] }],
  ["walRecoveryMode 'nope'", { walRecoveryMode: 'nope' }],
  ['walRecoveryMode 1', { walRecoveryMode: 1 }],
  ["createIfMissing 'yes'", { createIfMissing: 'yes' }],
  ['errorIfExists 1', { errorIfExists: 1 }],
  ['readOnly "true"', { readOnly: 'true' }],
  ['paranoidChecks 1', { paranoidChecks: 1 }],
  ['keySize without valueSize', { keySize: 4 }],
  ['keySize 0', { keySize: 0, valueSize: 4 }],
  ['bloomBitsPerKey 33', { bloomBitsPerKey: 33 }],
  ['flushIntervalMs 5', { flushIntervalMs: 5 }],
  ['clock 5', { clock: 5 }],
  ['vfs {}', { vfs: {} }],
  ['compaction 5', { compaction: 5 }],
  ['compaction.level0CompactionTrigger 0', { compaction: { level0CompactionTrigger: 0 } }],
  ['compaction.levelSizeMultiplier 1', { compaction: { levelSizeMultiplier: 1 } }],
  ['compaction triggers out of order', { compaction: { level0CompactionTrigger: 4, level0SlowdownTrigger: 2 } }],
  ['pageSize 8192 on a database created with 4096', { pageSize: 8192 }],
  ['keySize/valueSize on a variable-width database', { keySize: 8, valueSize: 8 }],
];

const optionRows: Row[] = [
  ...BAD_OPTIONS.map(([label, bad]) =>
    fails(`open with ${label}`, 'INVALID_ARGUMENT', ({ dir, options }) => openAndClose(dir, { ...options, ...(bad as DbOptions) }), { when: 'closed' }),
  ),
  ...['opts', 5, null, true].map((bad) => fails(`open with options ${JSON.stringify(bad)}`, 'INVALID_ARGUMENT', ({ dir }) => openAndClose(dir, bad as never), { when: 'closed' })),
  accepts('open with an unknown option (ignored, for forward compatibility)', ({ dir, options }) => openAndClose(dir, { ...options, someFutureOption: true } as never), undefined, { when: 'closed' }),
];

// ---------------------------------------------------------------------------------------
// Regressions: engine bugs this table found (fixed since). Each row states the documented
// behaviour (DESIGN.md: "invalid ones are INVALID_ARGUMENT"; "every error the engine throws is
// a KvError") and what the engine did before: `reverse` was not validated (a truthy string
// scanned forward, and clear with a limit then deleted the wrong keys); a non-string location
// or checkpoint target gave a TypeError or IO_ERROR; holes in getMany/write slipped past the
// per-element checks (Array.prototype.map skips them).

const regressionRows: Row[] = [
  fails('regression: iterator with reverse: "yes" is INVALID_ARGUMENT, not a silent forward scan', 'INVALID_ARGUMENT', ({ db }) => db.iterator({ reverse: 'yes' as never })),
  fails('regression: clear with reverse: "yes" and a limit is INVALID_ARGUMENT, not a forward clear of the wrong keys', 'INVALID_ARGUMENT', ({ db }) => db.clear({ reverse: 'yes' as never, limit: 1 })),
  fails('regression: checkpoint to a number is INVALID_ARGUMENT, not a TypeError', 'INVALID_ARGUMENT', ({ db }) => db.checkpoint(5 as never)),
  fails('regression: checkpoint to undefined on disk is INVALID_ARGUMENT, not IO_ERROR', 'INVALID_ARGUMENT', ({ db }) => db.checkpoint(undefined as never), { fs: 'disk' }),
  fails('regression: open of a number as the location is INVALID_ARGUMENT, not a TypeError', 'INVALID_ARGUMENT', ({ options }) => openAndClose(42 as never, options)),
  fails('regression: open of undefined as the location is INVALID_ARGUMENT, not a TypeError', 'INVALID_ARGUMENT', ({ options }) => openAndClose(undefined as never, options)),
  fails('regression: open of a number as the location on the real file system is INVALID_ARGUMENT, not IO_ERROR', 'INVALID_ARGUMENT', () => openAndClose(42 as never)),
  fails('regression: getMany of a sparse array is INVALID_ARGUMENT, not an array with holes', 'INVALID_ARGUMENT', ({ db }) => db.getMany(new Array<string>(2))),
  fails('regression: a batch with a hole is INVALID_ARGUMENT, not a TypeError', 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), , put(seedKey(1), 'changed')] as BatchOp[])),
];

const TABLE: readonly [string, readonly Row[]][] = [
  ['wrong types', wrongTypeRows.map((row) => ({ reopen: false, ...row }))],
  ['sizes and limits', sizeRows],
  ['ranges and limits', rangeRows],
  ['batches, TTL and buffer reuse', batchRows],
  ['lifecycle and locks', lifecycleRows],
  ['directories and read-only opens', directoryRows],
  ['open options', optionRows],
  ['regressions', regressionRows],
];

for (const [group, rows] of TABLE) {
  describe(`misuse: ${group}`, () => {
    for (const row of rows) {
      it(`${row.name} → ${row.code ?? 'accepted'}; acknowledged data intact`, () => runRow(row));
    }
  });
}
