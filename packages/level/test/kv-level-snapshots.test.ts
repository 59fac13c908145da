import { describe, expect, it } from 'vitest';
import { KvLevel } from '@kv/level';
import { tempLocations } from './support/temp-locations.js';

const nextLocation = tempLocations();

async function openWith(entries: Record<string, string>): Promise<KvLevel> {
  const db = new KvLevel(nextLocation());
  await db.batch(Object.entries(entries).map(([key, value]) => ({ type: 'put' as const, key, value })));
  return db;
}

describe('explicit snapshots', () => {
  it('reads the state of the moment it was taken with every read method', async () => {
    const db = await openWith({ a: '1', b: '2', c: '3' });
    const snapshot = db.snapshot();
    await db.put('a', 'new');
    await db.del('b');
    await db.put('d', '4');
    expect(await db.get('a', { snapshot })).toBe('1');
    expect(db.getSync('b', { snapshot })).toBe('2');
    expect(await db.getMany(['a', 'b', 'd'], { snapshot })).toEqual(['1', '2', undefined]);
    expect(await db.has('d', { snapshot })).toBe(false);
    expect(await db.hasMany(['b', 'd'], { snapshot })).toEqual([true, false]);
    expect(await db.iterator({ snapshot }).all()).toEqual([['a', '1'], ['b', '2'], ['c', '3']]);
    expect(await db.keys({ snapshot, reverse: true, limit: 2 }).all()).toEqual(['c', 'b']);
    expect(await db.values({ snapshot, gt: 'a' }).all()).toEqual(['2', '3']);
    expect(await db.iterator().all()).toEqual([['a', 'new'], ['c', '3'], ['d', '4']]);
    await snapshot.close();
    await db.close();
  });

  it('keeps its view across a flush and compaction of the newer writes', async () => {
    const db = await openWith({ a: '1' });
    const snapshot = db.snapshot();
    await db.put('a', '2');
    await db.compactRange('a', 'z');
    expect(await db.get('a', { snapshot })).toBe('1');
    expect(await db.get('a')).toBe('2');
    await snapshot.close();
    await db.close();
  });

  it('works on sublevels, which share the database snapshot', async () => {
    const db = new KvLevel(nextLocation());
    const users = db.sublevel('users');
    await users.put('ada', '1815');
    const snapshot = users.snapshot();
    await users.put('ada', 'changed');
    expect(await users.get('ada', { snapshot })).toBe('1815');
    expect(await db.keys().all()).toEqual(['!users!ada']);
    await snapshot.close();
    await db.close();
  });

  it('fails reads after close with LEVEL_SNAPSHOT_NOT_OPEN, and closes with the database', async () => {
    const db = await openWith({ a: '1' });
    const snapshot = db.snapshot();
    await snapshot.close();
    await expect(db.get('a', { snapshot })).rejects.toMatchObject({ code: 'LEVEL_SNAPSHOT_NOT_OPEN' });
    await expect(db.iterator({ snapshot }).next()).rejects.toMatchObject({ code: 'LEVEL_SNAPSHOT_NOT_OPEN' });
    const open = db.snapshot();
    await db.close();
    expect(() => open.ref()).toThrow(expect.objectContaining({ code: 'LEVEL_SNAPSHOT_NOT_OPEN' }));
  });

  it("refuses another database's snapshot", async () => {
    const first = await openWith({ a: '1' });
    const second = await openWith({ a: '2' });
    const snapshot = first.snapshot();
    await expect(second.get('a', { snapshot })).rejects.toThrow(TypeError);
    await snapshot.close();
    await first.close();
    await second.close();
  });
});

describe('clear', () => {
  const ENTRIES = { a: '1', b: '2', c: '3', d: '4', e: '5' };

  it.each([
    [{}, []],
    [{ gte: 'b', lt: 'd' }, ['a', 'd', 'e']],
    [{ gt: 'b' }, ['a', 'b']],
    [{ lte: 'c' }, ['d', 'e']],
    [{ limit: 2 }, ['c', 'd', 'e']],
    [{ limit: 2, reverse: true }, ['a', 'b', 'c']],
    [{ gt: 'a', limit: 2, reverse: true }, ['a', 'b', 'c']],
    [{ gte: 'b', limit: 10 }, ['a']],
    [{ limit: 0 }, ['a', 'b', 'c', 'd', 'e']],
    [{ gt: 'c', gte: 'b' }, ['a']],
  ])('clear(%j) leaves %j', async (range, remaining) => {
    const db = await openWith(ENTRIES);
    await db.clear(range);
    expect(await db.keys().all()).toEqual(remaining);
    await db.close();
  });

  it('deletes only what a snapshot sees when given one', async () => {
    const db = await openWith({ a: '1', b: '2' });
    const snapshot = db.snapshot();
    await db.put('c', '3');
    await db.clear({ snapshot, limit: 5 });
    expect(await db.iterator().all()).toEqual([['c', '3']]);
    expect(await db.keys({ snapshot }).all()).toEqual(['a', 'b']);
    await snapshot.close();
    await db.close();
  });

  it('clears more entries than one engine read batch from a snapshot', async () => {
    const db = new KvLevel(nextLocation());
    await db.batch(Array.from({ length: 2500 }, (_, i) => ({ type: 'put' as const, key: String(i).padStart(5, '0'), value: 'v' })));
    const snapshot = db.snapshot();
    await db.clear({ snapshot, gte: '00100', limit: 2300 });
    expect(await db.keys().all()).toEqual([...Array.from({ length: 100 }, (_, i) => String(i).padStart(5, '0')), ...Array.from({ length: 100 }, (_, i) => String(2400 + i).padStart(5, '0'))]);
    await snapshot.close();
    await db.close();
  });

  it('leaves an iterator created before it reading everything', async () => {
    const db = await openWith(ENTRIES);
    const before = db.keys();
    await db.clear();
    expect(await before.all()).toEqual(Object.keys(ENTRIES));
    expect(await db.keys().all()).toEqual([]);
    await db.close();
  });
});
