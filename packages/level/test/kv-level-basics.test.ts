import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { KvLevel } from '@kv/level';
import { tempLocations } from './support/temp-locations.js';

const nextLocation = tempLocations();

describe('opening and closing', () => {
  it('opens on first use (deferred open) and reports its status', async () => {
    const db = new KvLevel(nextLocation());
    expect(db.status).toBe('opening');
    await db.put('a', '1');
    expect(db.status).toBe('open');
    await db.close();
    expect(db.status).toBe('closed');
  });

  it('rejects a location that is not a non-empty string', () => {
    expect(() => new KvLevel('')).toThrow(TypeError);
    expect(() => new KvLevel(42 as unknown as string)).toThrow(TypeError);
  });

  it('keeps what was written across a close and a reopen, by the same and a new instance', async () => {
    const location = nextLocation();
    const db = new KvLevel(location);
    await db.batch([{ type: 'put', key: 'a', value: '1' }, { type: 'put', key: 'b', value: '2' }]);
    await db.del('a');
    await db.close();
    await db.open();
    expect(await db.get('b')).toBe('2');
    expect(await db.get('a')).toBeUndefined();
    await db.close();
    const again = new KvLevel(location);
    expect(await again.iterator().all()).toEqual([['b', '2']]);
    await again.close();
  });

  it('fails to open with createIfMissing: false when the directory does not exist', async () => {
    const db = new KvLevel(nextLocation(), { createIfMissing: false });
    await expect(db.open()).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'INVALID_ARGUMENT' } });
    expect(db.status).toBe('closed');
  });

  it('fails to open with errorIfExists: true when a database exists', async () => {
    const location = nextLocation();
    const db = new KvLevel(location);
    await db.open();
    await db.close();
    await expect(db.open({ errorIfExists: true })).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'INVALID_ARGUMENT' } });
  });

  it('gives LEVEL_LOCKED, with the engine error as cause, while another instance has it open', async () => {
    const location = nextLocation();
    const first = new KvLevel(location);
    await first.open();
    const second = new KvLevel(location);
    const failure = await second.open().catch((error: unknown) => error);
    expect(failure).toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'LEVEL_LOCKED', cause: { name: 'KvError', code: 'LOCKED' } } });
    await first.close();
    await second.open();
    await second.close();
  });

  it('passes engine options through and validates them in the engine', async () => {
    const db = new KvLevel(nextLocation(), { memoryBudget: 8 * 1024 * 1024, compression: true, blockSize: 4096 } as never);
    await db.put('a', 'x'.repeat(1000));
    expect(await db.get('a')).toBe('x'.repeat(1000));
    await db.close();
    const invalid = new KvLevel(nextLocation(), { pageSize: 1000 });
    await expect(invalid.open()).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'INVALID_ARGUMENT' } });
  });

  it('refuses to open read-only with LEVEL_NOT_SUPPORTED', async () => {
    const db = new KvLevel(nextLocation(), { readOnly: true } as never);
    await expect(db.open()).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN', cause: { code: 'LEVEL_NOT_SUPPORTED' } });
  });

  it('fails reads and writes after close with LEVEL_DATABASE_NOT_OPEN', async () => {
    const db = new KvLevel(nextLocation());
    await db.open();
    await db.close();
    await expect(db.get('a')).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' });
    await expect(db.put('a', '1')).rejects.toMatchObject({ code: 'LEVEL_DATABASE_NOT_OPEN' });
    expect(() => db.getSync('a')).toThrow(expect.objectContaining({ code: 'LEVEL_DATABASE_NOT_OPEN' }));
  });
});

describe('reads and writes', () => {
  it('reads with get, getSync, getMany, has and hasMany', async () => {
    const db = new KvLevel(nextLocation());
    await db.put('a', '1', { sync: true });
    await db.batch([{ type: 'put', key: 'b', value: '2' }, { type: 'del', key: 'c' }], { sync: true });
    await db.del('c', { sync: true });
    expect(await db.get('a')).toBe('1');
    expect(db.getSync('b')).toBe('2');
    expect(db.getSync('missing')).toBeUndefined();
    expect(await db.getMany(['a', 'missing', 'b'])).toEqual(['1', undefined, '2']);
    expect(await db.has('a')).toBe(true);
    expect(await db.hasMany(['a', 'missing'])).toEqual([true, false]);
    await db.close();
  });

  it('commits a chained batch atomically and applies a later op on the same key last', async () => {
    const db = new KvLevel(nextLocation());
    await db.put('gone', 'x');
    const batch = db.batch().put('a', '1').put('b', '2').del('gone').put('a', 'again');
    expect(batch.length).toBe(4);
    await batch.write({ sync: true });
    expect(await db.iterator().all()).toEqual([['a', 'again'], ['b', '2']]);
    const cleared = db.batch().put('c', '3');
    cleared.clear();
    await cleared.write();
    expect(await db.has('c')).toBe(false);
    await db.close();
  });

  it('rejects a key over the engine limit without writing anything of the batch', async () => {
    const db = new KvLevel<Uint8Array, string>(nextLocation(), { keyEncoding: 'view' });
    const tooLong = new Uint8Array(65_536);
    const failure = await db.batch([{ type: 'put', key: Uint8Array.of(1), value: 'x' }, { type: 'put', key: tooLong, value: 'x' }]).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'KvError', code: 'INVALID_ARGUMENT' });
    expect(await db.keys().all()).toEqual([]);
    await db.close();
  });
});

describe('encodings', () => {
  it('stores binary keys and values without transcoding (view and buffer)', async () => {
    const db = new KvLevel<Uint8Array, Uint8Array>(nextLocation(), { keyEncoding: 'view', valueEncoding: 'view' });
    const key = Uint8Array.of(0, 255, 128);
    await db.put(key, Uint8Array.of(1, 2, 3));
    expect(await db.get(key)).toEqual(Uint8Array.of(1, 2, 3));
    const asBuffer = await db.get(key, { valueEncoding: 'buffer' });
    expect(Buffer.isBuffer(asBuffer)).toBe(true);
    expect([...(asBuffer as Buffer)]).toEqual([1, 2, 3]);
    expect(await db.get(Buffer.from([0, 255, 128]), { keyEncoding: 'buffer' })).toEqual(Uint8Array.of(1, 2, 3));
    await db.close();
  });

  it('reads utf8, json, hex and base64 through abstract-level transcoding', async () => {
    const db = new KvLevel(nextLocation());
    await db.put('doc', { n: 1, s: 'ä' } as never, { valueEncoding: 'json' });
    expect(await db.get('doc', { valueEncoding: 'json' })).toEqual({ n: 1, s: 'ä' });
    expect(await db.get('doc')).toBe('{"n":1,"s":"ä"}');
    await db.put('h', 'cafe', { valueEncoding: 'hex' });
    expect(await db.get('h', { valueEncoding: 'view' })).toEqual(Uint8Array.of(0xca, 0xfe));
    expect(await db.get('h', { valueEncoding: 'base64' })).toBe('yv4=');
    await db.close();
  });

  it('orders keys by their UTF-8 bytes, like classic-level', async () => {
    const db = new KvLevel(nextLocation());
    await db.batch(['b', 'a', 'é', 'Z', ''].map((key) => ({ type: 'put' as const, key, value: key })));
    expect(await db.keys().all()).toEqual(['', 'Z', 'a', 'b', 'é']);
    await db.close();
  });

  it('declares view and utf8 as its stored formats and adds the rest through transcoding', async () => {
    const db = new KvLevel(nextLocation());
    expect(db.supports.encodings).toMatchObject({ view: true, utf8: true, buffer: true, json: true, hex: true });
    expect(db.keyEncoding('buffer').format).toBe('view');
    expect(db.keyEncoding('json').format).toBe('utf8');
    await db.close();
  });
});

describe('supports', () => {
  it('describes what KvLevel implements', async () => {
    const db = new KvLevel(nextLocation());
    expect(db.supports).toMatchObject({
      implicitSnapshots: true,
      explicitSnapshots: true,
      has: true,
      getSync: true,
      seek: true,
      permanence: true,
      createIfMissing: true,
      errorIfExists: true,
      deferredOpen: true,
      additionalMethods: { compactRange: true },
    });
    await db.close();
  });

  it('compacts a range with compactRange and keeps reading the same data', async () => {
    const db = new KvLevel(nextLocation());
    await db.batch(Array.from({ length: 100 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(3, '0')}`, value: `v${i}` })));
    await db.del('k050');
    await db.compactRange('k000', 'k099');
    expect(await db.keys().all()).toHaveLength(99);
    expect(await db.get('k042')).toBe('v42');
    await db.close();
  });

  it('destroys a closed database with the static destroy', async () => {
    const location = nextLocation();
    const db = new KvLevel(location);
    await db.put('a', '1');
    await db.close();
    await KvLevel.destroy(location);
    const reopened = new KvLevel(location);
    expect(await reopened.get('a')).toBeUndefined();
    await reopened.close();
  });
});
