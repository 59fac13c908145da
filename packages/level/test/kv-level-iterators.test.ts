import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { KvLevel } from '@kv/level';
import { tempLocations } from './support/temp-locations.js';

const nextLocation = tempLocations();
const KEYS = ['a', 'b', 'c', 'd', 'e'];

let db: KvLevel;

beforeEach(async () => {
  db = new KvLevel(nextLocation());
  await db.batch(KEYS.map((key) => ({ type: 'put' as const, key, value: key.toUpperCase() })));
});

afterEach(async () => {
  await db.close();
});

describe('ranges', () => {
  it.each([
    [{}, ['a', 'b', 'c', 'd', 'e']],
    [{ gt: 'b' }, ['c', 'd', 'e']],
    [{ gte: 'b', lt: 'd' }, ['b', 'c']],
    [{ gt: 'a', lte: 'c' }, ['b', 'c']],
    [{ reverse: true, lt: 'd' }, ['c', 'b', 'a']],
    [{ reverse: true, limit: 2 }, ['e', 'd']],
    [{ gte: 'bb', limit: 2 }, ['c', 'd']],
    [{ limit: 0 }, []],
    [{ limit: -1, gt: 'c' }, ['d', 'e']],
    [{ gt: 'z' }, []],
    [{ gte: 'c', lte: 'b' }, []],
  ])('keys(%j) yields %j', async (range, expected) => {
    expect(await db.keys(range).all()).toEqual(expected);
  });

  it('gives gte precedence over gt and lte over lt, as abstract-level specifies', async () => {
    expect(await db.keys({ gt: 'c', gte: 'b' }).all()).toEqual(['b', 'c', 'd', 'e']);
    expect(await db.keys({ lt: 'c', lte: 'd' }).all()).toEqual(['a', 'b', 'c', 'd']);
  });

  it('yields the same entries through next, nextv and all', async () => {
    const viaNext: unknown[] = [];
    const iterator = db.iterator({ gte: 'b' });
    for (let entry = await iterator.next(); entry !== undefined; entry = await iterator.next()) viaNext.push(entry);
    await iterator.close();
    const chunked = db.iterator({ gte: 'b' });
    const viaNextv = [...(await chunked.nextv(2)), ...(await chunked.nextv(2)), ...(await chunked.nextv(2))];
    expect(await chunked.nextv(2)).toEqual([]);
    await chunked.close();
    const expected = [['b', 'B'], ['c', 'C'], ['d', 'D'], ['e', 'E']];
    expect(viaNext).toEqual(expected);
    expect(viaNextv).toEqual(expected);
    expect(await db.iterator({ gte: 'b' }).all()).toEqual(expected);
  });

  it('leaves out the side not asked for', async () => {
    expect(await db.iterator({ keys: false, limit: 2 }).all()).toEqual([[undefined, 'A'], [undefined, 'B']]);
    expect(await db.iterator({ values: false, limit: 2 }).all()).toEqual([['a', undefined], ['b', undefined]]);
    expect(await db.values({ lt: 'c' }).all()).toEqual(['A', 'B']);
  });

  it('reads the state of the moment it was created (implicit snapshot)', async () => {
    const iterator = db.iterator();
    await db.put('aa', 'new');
    await db.del('e');
    await db.clear({ lt: 'c' });
    expect((await iterator.all()).map(([key]) => key)).toEqual(KEYS);
    expect(await db.keys().all()).toEqual(['c', 'd']);
  });

  it('iterates with for await and closes on break', async () => {
    const seen: string[] = [];
    for await (const [key] of db.iterator({ reverse: true })) {
      seen.push(key);
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['e', 'd']);
  });
});

describe('seek', () => {
  it('moves a forward iterator to the first key at or after the target', async () => {
    const iterator = db.keys();
    expect(await iterator.next()).toBe('a');
    iterator.seek('c');
    expect(await iterator.nextv(10)).toEqual(['c', 'd', 'e']);
    iterator.seek('bb');
    expect(await iterator.next()).toBe('c');
    await iterator.close();
  });

  it('moves a reverse iterator to the last key at or before the target', async () => {
    const iterator = db.keys({ reverse: true });
    iterator.seek('cc');
    expect(await iterator.all()).toEqual(['c', 'b', 'a']);
  });

  it('ends the iteration when the target is outside the range, on either side, until the next seek', async () => {
    const iterator = db.keys({ gt: 'a', lt: 'e' });
    iterator.seek('a');
    expect(await iterator.next()).toBeUndefined();
    iterator.seek('z');
    expect(await iterator.nextv(3)).toEqual([]);
    iterator.seek('d');
    expect(await iterator.next()).toBe('d');
    await iterator.close();
    const reverse = db.keys({ gte: 'b', lte: 'd', reverse: true });
    reverse.seek('e');
    expect(await reverse.next()).toBeUndefined();
    reverse.seek('a');
    expect(await reverse.next()).toBeUndefined();
    reverse.seek('cc');
    expect(await reverse.all()).toEqual(['c', 'b']);
  });

  it('restarts an iterator that reached its end, within its limit and snapshot', async () => {
    const iterator = db.keys({ limit: 6 });
    expect(await iterator.all()).toHaveLength(5);
    const again = db.keys({ limit: 6 });
    expect(await again.nextv(10)).toEqual(KEYS);
    await db.put('f', 'F');
    again.seek('d');
    expect(await again.nextv(10)).toEqual(['d']);
    await again.close();
  });

  it('seeks with a target in another encoding', async () => {
    const iterator = db.keys();
    iterator.seek(Uint8Array.of(0x63), { keyEncoding: 'view' });
    expect(await iterator.next()).toBe('c');
    await iterator.close();
  });
});
