import { expect } from 'vitest';
import { BATCH_OPS_MAX, KEY_SIZE_MAX_BYTES, VALUE_SIZE_MAX_BYTES } from '../src/index.js';
import type { BatchOp } from '../src/index.js';
import { put } from './support/batch-ops.js';
import { seedKey } from './support/misuse-seed.js';
import { accepts, describeMisuse, fails } from './support/misuse-table.js';
import type { MisuseRow } from './support/misuse-table.js';
import { collect } from './support/sorted-model.js';
import { bytes, text } from './support/utf8.js';

// Goal: arguments of the wrong type or size fail with INVALID_ARGUMENT and cost no
// acknowledged data, while the inputs the API allows (Buffers, the empty key, a key of
// exactly the maximum size) do what the README says.
// Strategy: rows of the misuse table (support/misuse-table.ts): each row runs on a freshly
// seeded database and is followed by a check of every acknowledged write, also after reopen.
// Invariants: the database and a reopen of it hold exactly the seeded data plus what the row
// wrote on purpose (see support/misuse-table.ts).

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

const wrongTypeRows: MisuseRow[] = [
  ...BAD_BYTES.flatMap(([label, bad]): MisuseRow[] => [
    fails(`put with ${label} as the key`, 'INVALID_ARGUMENT', ({ db }) => db.put(bad() as never, 'v')),
    fails(`put with ${label} as the value`, 'INVALID_ARGUMENT', ({ db }) => db.put(seedKey(0), bad() as never)),
  ]),
  ...SOME_BAD_BYTES.flatMap(([label, bad]): MisuseRow[] => [
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
  ...SOME_BAD_BYTES.flatMap(([label, bad]): MisuseRow[] => [
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
  ...[5, 'sync', null, { sync: 'yes' }, { sync: 1 }, { sync: null }].flatMap((bad): MisuseRow[] => [
    fails(`put with write options ${JSON.stringify(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.put(seedKey(0), 'changed', bad as never)),
    fails(`write with write options ${JSON.stringify(bad)}`, 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed')], bad as never)),
  ]),
  fails('delete with write options 5', 'INVALID_ARGUMENT', ({ db }) => db.delete(seedKey(0), 5 as never)),
  fails('delete with write options { sync: "yes" }', 'INVALID_ARGUMENT', ({ db }) => db.delete(seedKey(0), { sync: 'yes' } as never)),
  ...[null, 5, 'all', true].flatMap((bad): MisuseRow[] => [
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

const sizeRows: MisuseRow[] = [
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

describeMisuse('wrong types', wrongTypeRows.map((row) => ({ reopen: false, ...row })));
describeMisuse('sizes and limits', sizeRows);
