import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AbstractSnapshot } from 'abstract-level';
import { MemoryLevel } from 'memory-level';
import { KvLevel } from '@kv/level';
import { tempLocations } from './support/temp-locations.js';

const nextLocation = tempLocations();

type Bytes = Uint8Array;
interface Range {
  gt?: Bytes;
  gte?: Bytes;
  lt?: Bytes;
  lte?: Bytes;
  reverse?: boolean;
  limit?: number;
}
type Write = { type: 'put'; key: Bytes; value: Bytes } | { type: 'del'; key: Bytes };
type Step =
  | { kind: 'write'; write: Write }
  | { kind: 'batch'; writes: Write[] }
  | { kind: 'chained'; writes: Write[] }
  | { kind: 'clear'; range: Range }
  | { kind: 'snapshot' }
  | { kind: 'compact' }
  | { kind: 'reopen' };

// Few distinct bytes, including 0x00 and 0xff, so keys collide, share prefixes and sort at
// the edges of the byte order.
const keyArb = fc.uint8Array({ maxLength: 3 }).map((bytes) => bytes.map((byte) => [0x00, 0x01, 0x61, 0x7f, 0x80, 0xff][byte % 6] ?? 0));
const valueArb = fc.uint8Array({ maxLength: 8 });
const writeArb: fc.Arbitrary<Write> = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: keyArb, value: valueArb }),
  fc.record({ type: fc.constant('del' as const), key: keyArb }),
);
const rangeArb: fc.Arbitrary<Range> = fc.record(
  { gt: keyArb, gte: keyArb, lt: keyArb, lte: keyArb, reverse: fc.boolean(), limit: fc.integer({ min: -1, max: 6 }) },
  { requiredKeys: [] },
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: writeArb.map((write) => ({ kind: 'write' as const, write })) },
  { weight: 2, arbitrary: fc.array(writeArb, { maxLength: 6 }).map((writes) => ({ kind: 'batch' as const, writes })) },
  { weight: 1, arbitrary: fc.array(writeArb, { maxLength: 6 }).map((writes) => ({ kind: 'chained' as const, writes })) },
  { weight: 1, arbitrary: rangeArb.map((range) => ({ kind: 'clear' as const, range })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'reopen' as const }) },
);

const hex = (bytes: unknown): string => Buffer.from(bytes as Uint8Array).toString('hex');
const entriesOf = (entries: Array<[unknown, unknown]>): string[] => entries.map(([key, value]) => `${hex(key)}=${hex(value)}`);

type Snapshot = AbstractSnapshot;
type ReadOptions = Range & { snapshot?: Snapshot };

/** The part of the abstract-level API the model compares, on binary keys and values. */
interface Level {
  put(key: Bytes, value: Bytes): Promise<void>;
  del(key: Bytes): Promise<void>;
  batch(operations: Write[]): Promise<void>;
  batch(): { put(key: Bytes, value: Bytes): unknown; del(key: Bytes): unknown; write(): Promise<void> };
  clear(options: Range): Promise<void>;
  iterator(options: ReadOptions): {
    all(): Promise<Array<[Bytes, Bytes]>>;
    nextv(size: number): Promise<Array<[Bytes, Bytes]>>;
    seek(target: Bytes): void;
    close(): Promise<void>;
  };
  keys(options: ReadOptions): { all(): Promise<Bytes[]> };
  getMany(keys: Bytes[], options: { snapshot?: Snapshot }): Promise<Array<Bytes | undefined>>;
  hasMany(keys: Bytes[], options: { snapshot?: Snapshot }): Promise<boolean[]>;
}

interface Pair {
  kv: KvLevel<Bytes, Bytes>;
  memory: MemoryLevel<Bytes, Bytes>;
  snapshots: Array<{ kv: Snapshot; memory: Snapshot }>;
}

async function apply(pair: Pair, step: Step): Promise<void> {
  for (const db of [pair.kv, pair.memory] as Level[]) {
    if (step.kind === 'write') await (step.write.type === 'put' ? db.put(step.write.key, step.write.value) : db.del(step.write.key));
    if (step.kind === 'batch') await db.batch(step.writes);
    if (step.kind === 'chained') {
      const batch = db.batch();
      for (const write of step.writes) {
        if (write.type === 'put') batch.put(write.key, write.value);
        else batch.del(write.key);
      }
      await batch.write();
    }
    if (step.kind === 'clear') await db.clear(step.range);
  }
  if (step.kind === 'snapshot') pair.snapshots.push({ kv: pair.kv.snapshot(), memory: pair.memory.snapshot() });
  // Moves everything to page files, so reads merge memtables, files and range deletions.
  if (step.kind === 'compact') await pair.kv.compactRange(new Uint8Array(0), Uint8Array.of(0xff, 0xff, 0xff, 0xff));
  if (step.kind === 'reopen') {
    // Closing the database closes its snapshots, so the model drops them too.
    for (const snapshot of pair.snapshots.splice(0)) await snapshot.memory.close();
    await pair.kv.close();
    await pair.kv.open();
  }
}

/** Both databases' answers to the same reads, as comparable strings. */
async function readAll(db: Level, reads: { ranges: Range[]; seekTarget: Bytes; keys: Bytes[] }, snapshot?: Snapshot): Promise<unknown> {
  const ranges = [];
  for (const range of reads.ranges) {
    const options = snapshot === undefined ? range : { ...range, snapshot };
    const entries = entriesOf(await db.iterator(options).all());
    const keys = (await db.keys(options).all()).map(hex);
    const seeking = db.iterator(options);
    seeking.seek(reads.seekTarget);
    const afterSeek = entriesOf(await seeking.nextv(4));
    await seeking.close();
    ranges.push({ entries, keys, afterSeek });
  }
  const options = snapshot === undefined ? {} : { snapshot };
  const values = (await db.getMany(reads.keys, options)).map((value) => (value === undefined ? null : hex(value)));
  const has = await db.hasMany(reads.keys, options);
  return { ranges, values, has };
}

describe('KvLevel against MemoryLevel', () => {
  // Goal: KvLevel answers every read exactly like memory-level (the reference
  // abstract-level implementation) after the same writes.
  // Strategy: random puts, deletes, array and chained batches, range clears (with limit and
  // reverse), explicit snapshots, flush-and-compact and close/reopen cycles (KvLevel only), on binary keys from
  // a six-byte alphabet; then the same ranged iterators, key iterators, seeks, getMany and
  // hasMany on both, at the latest state and at every live snapshot.
  // Invariants: identical entries, in identical order, for every read.
  it('answers every read identically after the same random operations', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(stepArb, { maxLength: 30 }),
        fc.record({ ranges: fc.array(rangeArb, { minLength: 1, maxLength: 4 }), seekTarget: keyArb, keys: fc.array(keyArb, { minLength: 1, maxLength: 5 }) }),
        async (steps, reads) => {
          const encodings = { keyEncoding: 'view', valueEncoding: 'view' };
          const pair: Pair = { kv: new KvLevel(nextLocation(), encodings), memory: new MemoryLevel(encodings), snapshots: [] };
          try {
            // snapshot() does not wait for a deferred open.
            await pair.kv.open();
            await pair.memory.open();
            for (const step of steps) await apply(pair, step);
            expect(await readAll(pair.kv, reads)).toEqual(await readAll(pair.memory, reads));
            for (const snapshot of pair.snapshots) {
              expect(await readAll(pair.kv, reads, snapshot.kv)).toEqual(await readAll(pair.memory, reads, snapshot.memory));
            }
          } finally {
            await pair.kv.close();
            await pair.memory.close();
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
