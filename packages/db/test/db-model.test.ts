import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareBytes } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import type { DbOptions } from '../src/index.js';
import { SortedModel, collect, show } from './support/sorted-model.js';
import type { ModelOp } from './support/sorted-model.js';

// Goal: the engine behaves like a sorted map through any sequence of writes, reads, scans,
// flushes and close/reopen cycles.
// Strategy: fc.commands over a small key alphabet (so keys collide, overwrite and get
// deleted), run with fc.asyncModelRun against a MemoryVfs; reopen replays the WAL. A second
// run uses a 4 KiB memtable (a handful of entries) and values up to 2 KiB, so most reads
// go to level-0 page files and iterators merge memtables with many files.
// Invariants: get equals the model; every bounded forward and reverse scan equals the
// model's sorted entries; batches are atomic and a later op on a key wins.

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
  fc.record({ type: fc.constant('put' as const), key, value }),
  fc.record({ type: fc.constant('del' as const), key }),
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
];

describe('DB against a sorted-map model', () => {
  it.each([
    ['the default memtable', {}, 150],
    ['a 4 KiB memtable, so reads hit page files', { memtableSize: 4096, pageSize: 1024 }, 100],
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
