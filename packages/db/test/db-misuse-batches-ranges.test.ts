import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB, TTL_MAX_MS } from '../src/index.js';
import type { BatchOp } from '../src/index.js';
import { put, toModelOp } from './support/batch-ops.js';
import { expectCode } from './support/kv-error-code.js';
import { pad, seedKey } from './support/misuse-seed.js';
import { accepts, describeMisuse, fails } from './support/misuse-table.js';
import type { MisuseRow } from './support/misuse-table.js';
import { collect, show } from './support/sorted-model.js';
import { bytes, text } from './support/utf8.js';

// Goal: bad ranges, limits, batches and TTLs fail with INVALID_ARGUMENT and cost no
// acknowledged data; accepted edge cases (inverted ranges, duplicate keys in a batch, buffers
// changed or reused after the call) store exactly what each call was given.
// Strategy: rows of the misuse table (support/misuse-table.ts): each row runs on a freshly
// seeded database and is followed by a check of every acknowledged write, also after reopen.
// Invariants: the database and a reopen of it hold exactly the seeded data plus what the row
// wrote on purpose (see support/misuse-table.ts).
// Pinned behaviour (decided from the code): an inverted range (gt above lt) reads nothing and
// clears nothing, without an error.

// ---------------------------------------------------------------------------------------
// Ranges and limits of iterators and clear.

const BAD_LIMITS: readonly unknown[] = [-2, 1.5, Number.NaN, -Infinity, '3', null, true];
const keysOf = (entries: [Uint8Array, Uint8Array][]): (string | undefined)[] => entries.map(([key]) => text(key));

const rangeRows: MisuseRow[] = [
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
  ...BAD_LIMITS.flatMap((bad): MisuseRow[] => [
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

const batchRows: MisuseRow[] = [
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
  ...BAD_TTLS.flatMap((bad): MisuseRow[] => [
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

describeMisuse('ranges and limits', rangeRows);
describeMisuse('batches, TTL and buffer reuse', batchRows);

describe('batch argument names', () => {
  it('name the operation and field a bad batch argument belongs to', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs() });
    const message = async (ops: unknown[]): Promise<string> => String(((await db.write(ops as BatchOp[]).catch((error: unknown) => error)) as Error).message);
    expect(await message([put('a', 'x'), { type: 'put', key: 'b', value: 7 }])).toContain('batch[1].value');
    expect(await message([{ type: 'del', key: null }])).toContain('batch[0].key');
    expect(await message([put('a', 'x'), put('b', 'y'), { type: 'delRange', start: 'a', end: 3 }])).toContain('batch[2].end');
    expect(await message([{ type: 'put', key: 'k', value: 'v', ttl: -1 }])).toContain('batch[0] ttl');
    expect(await message([{ type: 'nope' }])).toContain('batch[0].type');
    await expect(db.put('k', 7 as never)).rejects.toThrow(/^value: /);
    await db.close();
  });
});
