import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import type { BackgroundErrorInfo, CompactionEvent, FlushEvent } from '../src/index.js';
import { collect } from './support/sorted-model.js';

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));
const keysOf = (entries: [Uint8Array, Uint8Array][]): (string | undefined)[] => entries.map(([k]) => text(k));

async function filled(keys: string[], options = {}): Promise<DB> {
  const db = await DB.open('/db', { vfs: new MemoryVfs(), ...options });
  await db.write(keys.map((key) => ({ type: 'put' as const, key, value: `v-${key}` })));
  return db;
}

describe('point reads', () => {
  it('getMany, getSync, has and hasMany agree with get, also through a snapshot', async () => {
    const db = await filled(['a', 'b', 'c']);
    const snapshot = db.snapshot();
    await db.delete('b');
    await db.put('d', 'v-d');
    expect((await db.getMany(['a', 'b', 'd', 'zz'])).map(text)).toEqual(['v-a', undefined, 'v-d', undefined]);
    expect(text(db.getSync('a'))).toBe('v-a');
    expect(await db.has('b')).toBe(false);
    expect(await db.hasMany(['a', 'b', 'd'])).toEqual([true, false, true]);
    expect((await snapshot.getMany(['a', 'b', 'd'])).map(text)).toEqual(['v-a', 'v-b', undefined]);
    expect(text(snapshot.getSync('b'))).toBe('v-b');
    expect(await snapshot.hasMany(['b', 'd'])).toEqual([true, false]);
    snapshot.release();
    await db.close();
  });

  it('rejects a non-array key list and bad keys with INVALID_ARGUMENT', async () => {
    const db = await filled([]);
    await expect(db.getMany('a' as never)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(db.getMany([1 as never])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(() => db.getSync(null as never)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await db.close();
    expect(() => db.getSync('a')).toThrow(expect.objectContaining({ code: 'NOT_OPEN' }));
  });
  it('returns values that stay intact when a full cache reads pages into its scratch buffer', async () => {
    // A 2 KiB cache holds one 1 KiB page, so once it has evicted, most lookups read their page
    // into the shared scratch buffer (not cached); every value handed out must be a copy.
    const keys = Array.from({ length: 600 }, (_, i) => `key${String(i).padStart(4, '0')}`);
    const db = await filled(keys, { pageSize: 1024, cacheSize: 2048 });
    await db.compactRange();
    const order = keys.map((_, i) => keys[(i * 379) % keys.length] as string);
    const many = await db.getMany(order);
    const one = order.map((key) => db.getSync(key));
    const snapshot = db.snapshot();
    const fromSnapshot = await snapshot.getMany(order);
    snapshot.release();
    expect(db.stats().cache.evictions).toBeGreaterThan(0);
    for (const values of [many, one, fromSnapshot]) expect(values.map(text)).toEqual(order.map((key) => `v-${key}`));
    expect(await db.hasMany(['key0001', 'nope'])).toEqual([true, false]);
    await db.close();
  });
});

describe('iterators', () => {
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];

  it('recycle the pages they let go of without changing an entry handed out or a page another iterator reads', async () => {
    // Goal: an iterator's pages are reused only once every view into them was copied.
    // Strategy: 1 KiB pages and an 8 KiB cache, so pages are evicted and, once iterators let
    // go of them, reused (their old bytes poisoned, as invariants are on under test); two
    // iterators, one of them reverse, step in turn, so each reads pages while the other holds
    // some; in the second half point reads (which recycle pages too) come in between.
    // Invariants: both see every key in order with its value; the iterators alone made spares.
    const keys = Array.from({ length: 800 }, (_, i) => `key${String(i).padStart(4, '0')}`);
    const db = await filled(keys, { pageSize: 1024, cacheSize: 8192 });
    await db.compactRange();
    const forward = db.iterator();
    const backward = db.iterator({ reverse: true });
    const seenForward: string[] = [];
    const seenBackward: string[] = [];
    let spareSeen = false;
    for (let i = 0; i < keys.length; i++) {
      for (const [iterator, seen] of [[forward, seenForward], [backward, seenBackward]] as const) {
        const entry = iterator.nextSync();
        if (entry !== undefined) seen.push(`${text(entry[0])}=${text(entry[1])}`);
      }
      if (i < keys.length / 2) spareSeen ||= db.stats().cache.spareBytes > 0;
      else expect(text(db.getSync(keys[(i * 389) % keys.length] as string) as Uint8Array)).toBe(`v-${keys[(i * 389) % keys.length]}`);
    }
    forward.close();
    backward.close();
    expect(seenForward).toEqual(keys.map((key) => `${key}=v-${key}`));
    expect(seenBackward).toEqual(keys.map((key) => `${key}=v-${key}`).reverse());
    expect(spareSeen).toBe(true);
    await db.close();
  });

  it('hand out keys only, values only, and batches with read(n)', async () => {
    const db = await filled(keys);
    const onlyKeys = db.iterator({ values: false }).read(10);
    expect(keysOf(onlyKeys)).toEqual(keys);
    expect(onlyKeys.every(([, v]) => v.length === 0)).toBe(true);
    const onlyValues = db.iterator({ keys: false, gte: 'e' }).read(10);
    expect(onlyValues.map(([k, v]) => [k.length, text(v)])).toEqual([[0, 'v-e'], [0, 'v-f']]);
    const batched = db.iterator({ limit: 5 });
    expect(keysOf(batched.read(2))).toEqual(['a', 'b']);
    expect(keysOf(batched.read(2))).toEqual(['c', 'd']);
    expect(keysOf(batched.read(2))).toEqual(['e']);
    expect(batched.read(2)).toEqual([]);
    batched.close();
    expect(() => db.iterator({ keys: 'no' as never })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    await db.close();
  });

  it('seek forward and backward, end on a target outside the range, and move again after the end', async () => {
    const db = await filled(keys);
    const forward = db.iterator({ gt: 'a', lte: 'e' });
    forward.seek('c');
    expect(keysOf(forward.read(10))).toEqual(['c', 'd', 'e']);
    forward.seek('a');
    expect(forward.read(1)).toEqual([]);
    forward.seek('z');
    expect(forward.read(1)).toEqual([]);
    forward.seek('cc');
    expect(keysOf(forward.read(1))).toEqual(['d']);
    forward.close();
    const reverse = db.iterator({ reverse: true, gte: 'b' });
    reverse.seek('cc');
    expect(keysOf(reverse.read(10))).toEqual(['c', 'b']);
    reverse.seek('a');
    expect(reverse.read(1)).toEqual([]);
    reverse.seek('z');
    expect(keysOf(reverse.read(1))).toEqual(['f']);
    reverse.close();
    await db.close();
  });

  it('hand out keys the caller owns: overwriting them changes nothing read later, either direction', async () => {
    // Keys from page files with a shared prefix are handed over without a copy (the reader
    // assembles each into a new array); nothing inside the engine may still be using them.
    const keys = Array.from({ length: 300 }, (_, i) => `shared-prefix-${String(i).padStart(4, '0')}`);
    const db = await filled(keys, { memtableSize: 4096 });
    await db.compactRange();
    for (const reverse of [false, true]) {
      const iterator = db.iterator({ reverse, gte: keys[5] as string, limit: 280 });
      const seen: string[] = [];
      for (let batch = iterator.read(7); batch.length > 0; batch = iterator.read(7)) {
        for (const [key, value] of batch) {
          seen.push(`${text(key)}=${text(value)}`);
          key.fill(0x7a);
          value.fill(0x7a);
        }
      }
      iterator.close();
      const expected = keys.slice(5).map((key) => `${key}=v-${key}`);
      expect(seen).toEqual((reverse ? expected.reverse() : expected).slice(0, 280));
    }
    expect(keysOf(await collect(db.iterator({ limit: 3 })))).toEqual(keys.slice(0, 3));
    expect(text(await db.get(keys[100] as string))).toBe(`v-${keys[100]}`);
    await db.close();
  });

  it('read one consistent state from creation, whatever is written or cleared meanwhile', async () => {
    const db = await filled(keys);
    const iterator = db.iterator();
    await db.clear();
    await db.put('aa', 'new');
    expect(keysOf(iterator.read(10))).toEqual(keys);
    iterator.close();
    expect(await collect(db.iterator())).toHaveLength(1);
    await db.close();
  });
});

describe('clear and range deletions', () => {
  const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
  const remaining = async (db: DB): Promise<(string | undefined)[]> => keysOf(await collect(db.iterator()));

  it('clears a bounded range, everything, and the first or last `limit` keys', async () => {
    let db = await filled(keys);
    await db.clear({ gt: 'a', lte: 'c' });
    expect(await remaining(db)).toEqual(['a', 'd', 'e', 'f']);
    await db.clear({ limit: 2 });
    expect(await remaining(db)).toEqual(['e', 'f']);
    await db.clear();
    expect(await remaining(db)).toEqual([]);
    await db.close();
    db = await filled(keys);
    await db.clear({ reverse: true, limit: 2, lt: 'f' });
    expect(await remaining(db)).toEqual(['a', 'b', 'c', 'f']);
    await db.clear({ limit: 0 });
    expect(await remaining(db)).toEqual(['a', 'b', 'c', 'f']);
    await db.close();
  });

  it('applies a delRange batch op atomically with the rest of the batch, [start, end)', async () => {
    const db = await filled(keys);
    await db.write([{ type: 'delRange', start: 'b', end: 'e' }, { type: 'put', key: 'c', value: 'again' }]);
    expect(await remaining(db)).toEqual(['a', 'c', 'e', 'f']);
    expect(text(await db.get('c'))).toBe('again');
    await expect(db.write([{ type: 'delRange', start: 'a' } as never])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await db.close();
  });

  it('survives a reopen from the WAL and from the manifest, and lets compaction drop the files', async () => {
    const vfs = new MemoryVfs();
    let db = await DB.open('/db', { vfs });
    await db.write(Array.from({ length: 500 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(3, '0')}`, value: 'x'.repeat(200) })));
    await db.compactRange();
    const snapshot = db.snapshot();
    await db.clear({ gte: 'k100', lt: 'k400' });
    await db.close().catch(() => undefined);
    expect(snapshot.sequence).toBeGreaterThan(0);
    db = await DB.open('/db', { vfs });
    expect(await collect(db.iterator())).toHaveLength(200);
    await db.flush();
    await db.close();
    db = await DB.open('/db', { vfs });
    expect(await collect(db.iterator())).toHaveLength(200);
    expect(await db.get('k250')).toBeUndefined();
    await db.clear();
    await db.flush();
    await db.compactRange();
    expect(db.stats().levels.reduce((sum, level) => sum + level.files, 0)).toBe(0);
    await db.close();
  });

  it('keeps what a snapshot taken before the clear reads, through flushes and compactions', async () => {
    const db = await filled(keys, { memtableSize: 4096 });
    const before = db.snapshot();
    await db.clear({ gte: 'b', lt: 'e' });
    await db.flush();
    await db.compactRange();
    expect(keysOf(await collect(before.iterator()))).toEqual(keys);
    expect(await remaining(db)).toEqual(['a', 'e', 'f']);
    before.release();
    await db.compactRange();
    expect(await remaining(db)).toEqual(['a', 'e', 'f']);
    await db.close();
  });
});

describe('events', () => {
  it('reports flushes and compactions with their figures', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs() });
    const flushes: FlushEvent[] = [];
    const compactions: CompactionEvent[] = [];
    db.on('flush', (event) => flushes.push(event));
    db.on('compaction', (event) => compactions.push(event));
    await db.write(Array.from({ length: 100 }, (_, i) => ({ type: 'put' as const, key: `k${i}`, value: 'v' })));
    await db.flush();
    await db.compactRange();
    expect(flushes).toEqual([expect.objectContaining({ entries: 100, rangeTombstones: 0, fileNumber: expect.any(Number), bytesWritten: expect.any(Number) })]);
    expect(compactions[0]).toMatchObject({ reason: 'manual', outputLevel: expect.any(Number), entriesIn: 100, entriesOut: 100, inputFiles: 1, outputFiles: 1 });
    await db.clear();
    await db.flush();
    expect(flushes[1]).toMatchObject({ entries: 0, rangeTombstones: 1, fileNumber: undefined });
    await db.compactRange();
    expect(compactions.some((event) => event.reason === 'range-deletion' && event.inputFiles === 1)).toBe(true);
    await db.close();
  });

  it("reports a background failure as 'error' with whether it will be retried", async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    const errors: [Error, BackgroundErrorInfo][] = [];
    db.on('error', (error, info) => errors.push([error, info]));
    await db.put('k', 'v');
    // The flush syncs the old WAL segment, the new one, then the page file: fail the third.
    vfs.failOperation({ kind: 'sync', nth: 3, error: 'ENOSPC' });
    await expect(db.flush()).rejects.toMatchObject({ code: 'NO_SPACE' });
    expect(errors[0]?.[0]).toMatchObject({ code: 'NO_SPACE' });
    expect(errors[0]?.[1]).toEqual({ job: 'flush', willRetry: true });
    await db.flush();
    expect(text(await db.get('k'))).toBe('v');
    await db.close();
  });
});
