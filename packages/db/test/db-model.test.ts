import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import type { DbOptions } from '../src/index.js';
import { SortedModel, collect, show } from './support/sorted-model.js';
import type { ModelOp } from './support/sorted-model.js';

// Goal: the engine behaves like a sorted map through any sequence of writes (puts, deletes,
// range deletions in batches and through clear), reads (get, getMany, getSync, has), scans
// (with seek), flushes, compactions and close/reopen cycles.
// Strategy: fc.commands over a small key alphabet (so keys collide, overwrite and get
// deleted), run with fc.asyncModelRun against a MemoryVfs; reopen replays the WAL. A second
// run uses a 4 KiB memtable (a handful of entries) and values up to 2 KiB, so most reads
// go to level-0 page files and iterators merge memtables with many files.
// Invariants: get equals the model; getMany equals get key by key; every bounded forward and
// reverse scan equals the model's sorted entries, also after a seek; batches are atomic and a
// later op on a key wins; a range deletion removes exactly the keys in [start, end), at every
// level of the tree, before and after compaction.

const key = fc.uint8Array({ minLength: 0, maxLength: 3, max: 3 });
const value = fc.oneof(fc.uint8Array({ maxLength: 8 }), fc.uint8Array({ maxLength: 2048 }));

interface Real {
  db: DB;
  vfs: MemoryVfs;
  options: DbOptions;
}

class PutCommand implements fc.AsyncCommand<SortedModel, Real> {
  constructor(readonly op: ModelOp[], readonly sync: boolean) {}
  check = (): boolean => true;
  async run(model: SortedModel, real: Real): Promise<void> {
    await real.db.write(this.op, { sync: this.sync });
    model.apply(this.op);
  }
  toString = (): string => `write(${this.op.length} ops)`;
}

class GetCommand implements fc.AsyncCommand<SortedModel, Real> {
  constructor(readonly key: Uint8Array) {}
  check = (): boolean => true;
  async run(model: SortedModel, real: Real): Promise<void> {
    expect(await real.db.get(this.key)).toEqual(model.get(this.key));
  }
  toString = (): string => `get(${Buffer.from(this.key).toString('hex')})`;
}

class GetManyCommand implements fc.AsyncCommand<SortedModel, Real> {
  constructor(readonly keys: Uint8Array[]) {}
  check = (): boolean => true;
  async run(model: SortedModel, real: Real): Promise<void> {
    const many = await real.db.getMany(this.keys);
    expect(many).toEqual(this.keys.map((k) => model.get(k)));
    expect(many).toEqual(this.keys.map((k) => real.db.getSync(k)));
    expect(await real.db.hasMany(this.keys)).toEqual(this.keys.map((k) => model.get(k) !== undefined));
  }
  toString = (): string => `getMany(${this.keys.length})`;
}

class ClearCommand implements fc.AsyncCommand<SortedModel, Real> {
  constructor(readonly low: Uint8Array, readonly high: Uint8Array, readonly reverse: boolean, readonly limit: number) {}
  check = (): boolean => true;
  async run(model: SortedModel, real: Real): Promise<void> {
    const inRange = model.scan((k) => compareBytes(k, this.low) > 0 && compareBytes(k, this.high) <= 0);
    if (this.reverse) inRange.reverse();
    const doomed = new Set(inRange.slice(0, this.limit).map(([k]) => Buffer.from(k).toString('hex')));
    await real.db.clear({ gt: this.low, lte: this.high, reverse: this.reverse, limit: this.limit });
    model.deleteWhere((k) => doomed.has(Buffer.from(k).toString('hex')));
  }
  toString = (): string => `clear(${this.reverse ? 'reverse' : 'forward'}, limit ${this.limit})`;
}

class SeekCommand implements fc.AsyncCommand<SortedModel, Real> {
  constructor(readonly target: Uint8Array, readonly reverse: boolean) {}
  check = (): boolean => true;
  async run(model: SortedModel, real: Real): Promise<void> {
    const expected = model.scan((k) => (this.reverse ? compareBytes(k, this.target) <= 0 : compareBytes(k, this.target) >= 0));
    if (this.reverse) expected.reverse();
    const iterator = real.db.iterator({ reverse: this.reverse });
    iterator.read(2);
    iterator.seek(this.target);
    const actual = iterator.read(1000);
    iterator.close();
    expect(show(actual)).toEqual(show(expected));
  }
  toString = (): string => `seek(${Buffer.from(this.target).toString('hex')}, ${this.reverse ? 'reverse' : 'forward'})`;
}

class CompactCommand implements fc.AsyncCommand<SortedModel, Real> {
  check = (): boolean => true;
  async run(_model: SortedModel, real: Real): Promise<void> {
    await real.db.compactRange();
  }
  toString = (): string => 'compactRange';
}

class ScanCommand implements fc.AsyncCommand<SortedModel, Real> {
  constructor(readonly low: Uint8Array, readonly high: Uint8Array, readonly reverse: boolean, readonly limit: number) {}
  check = (): boolean => true;
  async run(model: SortedModel, real: Real): Promise<void> {
    const expected = model.scan((k) => compareBytes(k, this.low) >= 0 && compareBytes(k, this.high) < 0);
    if (this.reverse) expected.reverse();
    const actual = await collect(real.db.iterator({ gte: this.low, lt: this.high, reverse: this.reverse, limit: this.limit }));
    expect(show(actual)).toEqual(show(expected.slice(0, this.limit)));
  }
  toString = (): string => `scan(${this.reverse ? 'reverse' : 'forward'}, limit ${this.limit})`;
}

class ReopenCommand implements fc.AsyncCommand<SortedModel, Real> {
  check = (): boolean => true;
  async run(_model: SortedModel, real: Real): Promise<void> {
    await real.db.close();
    real.db = await DB.open('/db', { ...real.options, vfs: real.vfs });
  }
  toString = (): string => 'reopen';
}

class FlushCommand implements fc.AsyncCommand<SortedModel, Real> {
  check = (): boolean => true;
  async run(_model: SortedModel, real: Real): Promise<void> {
    await real.db.flush();
    expect(real.db.stats().memtables.immutableCount).toBe(0);
  }
  toString = (): string => 'flush';
}

const op: fc.Arbitrary<ModelOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('put' as const), key, value }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('del' as const), key }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('delRange' as const), start: key, end: key }) },
);

const commands = [
  fc.tuple(fc.array(op, { minLength: 1, maxLength: 4 }), fc.boolean()).map(([ops, sync]) => new PutCommand(ops, sync)),
  key.map((k) => new GetCommand(k)),
  fc.tuple(key, key, fc.boolean(), fc.oneof(fc.constant(-1), fc.nat(5))).map(([a, b, reverse, limit]) => {
    const [low, high] = compareBytes(a, b) <= 0 ? [a, b] : [b, a];
    return new ScanCommand(low, Uint8Array.from([...high, 0xff]), reverse, limit === -1 ? Infinity : limit);
  }),
  fc.constant(new ReopenCommand()),
  fc.constant(new FlushCommand()),
  fc.array(key, { maxLength: 5 }).map((keys) => new GetManyCommand(keys)),
  fc.tuple(key, key, fc.boolean(), fc.oneof(fc.constant(-1), fc.nat(4))).map(([a, b, reverse, limit]) => {
    const [low, high] = compareBytes(a, b) <= 0 ? [a, b] : [b, a];
    return new ClearCommand(low, high, reverse, limit === -1 ? Infinity : limit);
  }),
  fc.tuple(key, fc.boolean()).map(([target, reverse]) => new SeekCommand(target, reverse)),
  fc.constant(new CompactCommand()),
];

describe('DB against a sorted-map model', () => {
  it.each([
    ['the default memtable', {}, 150],
    ['a 4 KiB memtable, so reads hit page files', { memtableSize: 4096, pageSize: 1024 }, 100],
    ['a 4 KiB memtable and a 2 KiB cache, so lookups that miss read into the scratch page', { memtableSize: 4096, pageSize: 1024, cacheSize: 2048 }, 100],
    ['a 4 KiB memtable and a 12 KiB cache, so iterators recycle the pages they let go of', { memtableSize: 4096, pageSize: 1024, cacheSize: 12288 }, 60],
  ] as [string, DbOptions, number][])('matches the model with %s', async (_name, options, numRuns) => {
    await fc.assert(
      fc.asyncProperty(fc.commands(commands, { size: '+1' }), async (cmds) => {
        const vfs = new MemoryVfs();
        const real: Real = { vfs, options, db: await DB.open('/db', { ...options, vfs }) };
        try {
          await fc.asyncModelRun(() => ({ model: new SortedModel(), real }), cmds);
        } finally {
          await real.db.close();
        }
      }),
      { numRuns },
    );
  });
});
