import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import type { Vfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import type { BatchOp, DbOptions, ReadOnlyDB } from '../src/index.js';
import { SortedModel, collect, show } from './support/sorted-model.js';
import type { ModelOp } from './support/sorted-model.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

/** A 4 KiB memtable and tiny level-0 triggers: switches, flushes, compactions and stalls all the time. */
const TINY: DbOptions = {
  memtableSize: 4096,
  compaction: { level0CompactionTrigger: 2, level0SlowdownTrigger: 3, level0StopTrigger: 5, baseLevelBytesMin: 16 * 1024, targetFileSizeBytes: 4096 },
};

const KEYS = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`);
const key = fc.constantFrom(...KEYS);

function toModelOp(op: BatchOp): ModelOp {
  const asBytes = (input: Uint8Array | string): Uint8Array => (typeof input === 'string' ? bytes(input) : input);
  if (op.type === 'put') return { type: 'put', key: asBytes(op.key), value: asBytes(op.value) };
  if (op.type === 'del') return { type: 'del', key: asBytes(op.key) };
  return { type: 'delRange', start: asBytes(op.start), end: asBytes(op.end) };
}

const batchOp: fc.Arbitrary<BatchOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('put' as const), key, value: fc.nat(300).map((n) => 'v'.repeat(n)) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('del' as const), key }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('delRange' as const), start: key, end: key }) },
);

describe('write order', () => {
  it('commits db.write calls issued synchronously in call order, through memtable switches and stalls', async () => {
    // Goal: the engine admits writes first-in, first-out, so the order of the calls is the
    // commit order (the other tests here define the commit order that way).
    // Strategy: issue 50-250 random batches without awaiting any, on a 4 KiB memtable (so
    // most of them queue behind switches and stalls). Each batch also puts its own marker
    // `m:<i>` and sets `last` = i. When a write's promise resolves, look at the markers.
    // Invariants: at the acknowledgement of write i the visible markers are exactly
    // m:0 .. m:p-1 for some p > i (never a later write without all earlier ones) and `last`
    // is p-1; in the end the state equals the model applied in call order, and the sequence
    // number equals the number of operations (nothing applied twice or skipped).
    await fc.assert(
      fc.asyncProperty(fc.array(fc.array(batchOp, { maxLength: 4 }), { minLength: 50, maxLength: 250 }), async (batches) => {
        const db = await DB.open('/db', { ...TINY, vfs: new MemoryVfs() });
        try {
          const model = new SortedModel();
          let operations = 0;
          const acknowledged = batches.map((ops, i) => {
            const batch: BatchOp[] = [...ops, { type: 'put', key: marker(i), value: '' }, { type: 'put', key: 'last', value: String(i) }];
            model.apply(batch.map(toModelOp));
            operations += batch.length;
            return db.write(batch).then(() => {
              const visible = visibleMarkers(db);
              expect(visible.slice(0, i + 1)).toEqual(Array.from({ length: i + 1 }, (_, j) => j));
              expect(visible).toEqual(Array.from({ length: visible.length }, (_, j) => j));
              expect(text(db.getSync('last'))).toBe(String(visible.length - 1));
            });
          });
          await Promise.all(acknowledged);
          expect(show(await collect(db.iterator()))).toEqual(show(model.scan()));
          expect(db.stats().sequence).toBe(operations);
        } finally {
          await db.close();
        }
      }),
      { numRuns: 12 },
    );
  });
});

const marker = (i: number): string => `m:${String(i).padStart(5, '0')}`;

/** The indexes of the markers the database shows now, in key order. */
function visibleMarkers(db: DB): number[] {
  const iterator = db.iterator({ gte: 'm:', lt: 'm;', values: false });
  try {
    return iterator.read(Number.MAX_SAFE_INTEGER).map(([k]) => Number(text(k)?.slice(2)));
  } finally {
    iterator.close();
  }
}

// ---------------------------------------------------------------------------------------
// Many writers and readers in one process, interleaved by fast-check's scheduler.

type Step =
  | { kind: 'put'; key: string; valueBytes: number }
  | { kind: 'del'; key: string }
  | { kind: 'batch'; ops: BatchOp[] }
  | { kind: 'clear'; gte: string; lt: string }
  | { kind: 'burst'; ops: BatchOp[] }
  | { kind: 'get'; key: string }
  | { kind: 'getSync'; key: string }
  | { kind: 'has'; key: string }
  | { kind: 'getMany'; keys: string[] }
  | { kind: 'scan'; gte: string | undefined; lt: string | undefined; reverse: boolean; slow: boolean }
  | { kind: 'flush' }
  | { kind: 'compact' };

interface ClientStep {
  step: Step;
  /** Whether the client waits for this step before its next one (else it stays in flight). */
  awaited: boolean;
}

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key, valueBytes: fc.nat(300) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), key }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('batch' as const), ops: fc.array(batchOp, { minLength: 1, maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), gte: key, lt: key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('burst' as const), ops: fc.array(batchOp, { minLength: 2, maxLength: 20 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('get' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('getSync' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('has' as const), key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('getMany' as const), keys: fc.array(key, { minLength: 1, maxLength: 5 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('scan' as const), gte: fc.option(key, { nil: undefined }), lt: fc.option(key, { nil: undefined }), reverse: fc.boolean(), slow: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
);

/** A third of the steps are awaited; the rest stay in flight while the client goes on. */
const clientStep: fc.Arbitrary<ClientStep> = fc.record({ step, awaited: fc.nat(2).map((n) => n === 0) });
const clients = fc.array(fc.array(clientStep, { minLength: 5, maxLength: 30, size: 'max' }), { minLength: 2, maxLength: 6, size: 'max' });

interface WriteRecord {
  ops: ModelOp[];
  invokedAt: number;
  ackedAt: number | undefined;
}

interface ReadRecord {
  what: string;
  invokedAt: number;
  returnedAt: number;
  /** Whether the state `model` gives exactly what this read returned. */
  matches: (model: SortedModel) => boolean;
}

/**
 * What the clients did, on one logical clock. Writes are recorded in call order, which is the
 * engine's commit order (see 'write order' above). The clock reading of an acknowledgement or
 * a return is taken in a callback after the fact, so it is never earlier than the real event:
 * the windows below are, if anything, wider than the truth, never narrower.
 */
class Recorder {
  private clock = 0;
  readonly writes: WriteRecord[] = [];
  readonly reads: ReadRecord[] = [];
  operations = 0;

  /** Records the write and calls `call` at once (so the record order is the call order). */
  write(ops: BatchOp[], call: () => Promise<void>): Promise<void> {
    const record: WriteRecord = { ops: ops.map(toModelOp), invokedAt: this.clock++, ackedAt: undefined };
    this.writes.push(record);
    this.operations += ops.length;
    return call().then(() => {
      record.ackedAt = this.clock++;
    });
  }

  async read<T>(what: string, call: () => Promise<T> | T, matches: (result: T, model: SortedModel) => boolean): Promise<void> {
    const invokedAt = this.clock++;
    const result = await call();
    this.reads.push({ what, invokedAt, returnedAt: this.clock++, matches: (model) => matches(result, model) });
  }
}

const sameValue = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => (a === undefined || b === undefined ? a === b : Buffer.from(a).equals(Buffer.from(b)));

function inBounds(gte: string | undefined, lt: string | undefined): (k: Uint8Array) => boolean {
  return (k) => {
    const name = text(k) ?? '';
    return (gte === undefined || name >= gte) && (lt === undefined || name < lt);
  };
}

/** Runs one step, recording it; resolves when it is done. */
function runStep(db: DB, recorder: Recorder, step: Step, yieldPoint: () => Promise<void>): Promise<void> {
  switch (step.kind) {
    case 'put': {
      const index = recorder.writes.length;
      const value = `w${index}:${'v'.repeat(step.valueBytes)}`;
      return recorder.write([{ type: 'put', key: step.key, value }], () => db.put(step.key, value));
    }
    case 'del':
      return recorder.write([{ type: 'del', key: step.key }], () => db.delete(step.key));
    case 'batch':
      return recorder.write(step.ops, () => db.write(step.ops));
    case 'burst':
      // One call per operation, all issued before any of them resolves.
      return Promise.all(step.ops.map((op) => recorder.write([op], () => db.write([op])))).then(() => undefined);
    case 'clear':
      return recorder.write([{ type: 'delRange', start: step.gte, end: step.lt }], () => db.clear({ gte: step.gte, lt: step.lt }));
    case 'get':
      return recorder.read(`get ${step.key}`, () => db.get(step.key), (value, model) => sameValue(value, model.get(bytes(step.key))));
    case 'getSync':
      return recorder.read(`getSync ${step.key}`, () => db.getSync(step.key), (value, model) => sameValue(value, model.get(bytes(step.key))));
    case 'has':
      return recorder.read(`has ${step.key}`, () => db.has(step.key), (found, model) => found === (model.get(bytes(step.key)) !== undefined));
    case 'getMany':
      return recorder.read(`getMany ${step.keys.join(',')}`, () => db.getMany(step.keys), (values, model) => step.keys.every((k, i) => sameValue(values[i], model.get(bytes(k)))));
    case 'scan':
      return recorder.read(
        `scan ${JSON.stringify(step)}`,
        () => scan(db, step, yieldPoint),
        (entries, model) => {
          const expected = model.scan(inBounds(step.gte, step.lt));
          if (step.reverse) expected.reverse();
          return JSON.stringify(show(entries)) === JSON.stringify(show(expected));
        },
      );
    case 'flush':
      return db.flush();
    case 'compact':
      return db.compactRange();
  }
}

/** A scan; a slow one yields to the scheduler between entries, so writes land while it runs. */
async function scan(db: DB, step: Extract<Step, { kind: 'scan' }>, yieldPoint: () => Promise<void>): Promise<[Uint8Array, Uint8Array][]> {
  const iterator = db.iterator({ ...(step.gte === undefined ? {} : { gte: step.gte }), ...(step.lt === undefined ? {} : { lt: step.lt }), reverse: step.reverse });
  const out: [Uint8Array, Uint8Array][] = [];
  for await (const entry of iterator) {
    out.push(entry);
    if (step.slow) await yieldPoint();
  }
  return out;
}

/**
 * Checks every read against the prefixes of the commit order. A read may show the state after
 * p writes when p includes every write acknowledged before the read was invoked, excludes every
 * write invoked after it returned, and is at least the p of any read that returned before this
 * one was invoked (real-time order). Reads are taken in order of return and each gets the
 * smallest p that fits, which leaves the most room for the reads after it.
 */
function checkReads(recorder: Recorder, models: readonly SortedModel[]): void {
  const assigned: { returnedAt: number; prefix: number }[] = [];
  for (const read of [...recorder.reads].sort((a, b) => a.returnedAt - b.returnedAt)) {
    let low = 0;
    recorder.writes.forEach((write, index) => {
      if (write.ackedAt !== undefined && write.ackedAt < read.invokedAt) low = Math.max(low, index + 1);
    });
    for (const earlier of assigned) if (earlier.returnedAt < read.invokedAt) low = Math.max(low, earlier.prefix);
    const high = recorder.writes.filter((write) => write.invokedAt < read.returnedAt).length;
    let prefix: number | undefined;
    for (let p = low; p <= high && prefix === undefined; p++) if (read.matches(models[p] as SortedModel)) prefix = p;
    if (prefix === undefined) {
      const anywhere = models.findIndex((model) => read.matches(model));
      expect.fail(`${read.what} (clock ${read.invokedAt}..${read.returnedAt}) matches no state after ${low}..${high} writes; it matches ${anywhere === -1 ? 'none' : `the state after ${anywhere}`}`);
    }
    assigned.push({ returnedAt: read.returnedAt, prefix });
  }
}

describe('concurrent writers and readers in one process', () => {
  it('every read shows a state between what was acknowledged before it and what was issued by its end, and nothing is lost or applied twice', async () => {
    // Goal: linearizability of single-key and multi-key reads against atomic writes, with
    // flushes and compactions running underneath, on a MemoryVfs.
    // Strategy: 2-6 clients, each a sequence of 5-30 steps (puts, deletes, batches, small
    // clears, bursts of up to 20 writes issued at once, gets, getSyncs, has, getManys, scans,
    // flushes, compactions) on a 4 KiB memtable; a client awaits a third of its steps and
    // leaves the rest in flight, so well over a hundred operations can overlap. Before each
    // step the client waits for fast-check's scheduler, which picks the interleaving; slow
    // scans yield to it between entries. Every single put carries the index of its write in
    // its value, so states rarely coincide by accident.
    // Invariants: see `checkReads` (each read shows the state after some prefix p of the
    // commit order, acknowledged writes before it included, later writes excluded, real-time
    // order kept); every write is acknowledged; the final state equals all writes applied in
    // commit order, before and after a reopen; the sequence number equals the number of
    // operations, so no write was applied twice or dropped.
    await fc.assert(
      fc.asyncProperty(fc.scheduler(), clients, async (scheduler, plans) => {
        const vfs = new MemoryVfs();
        const db = await DB.open('/db', { ...TINY, vfs });
        const recorder = new Recorder();
        try {
          const yieldPoint = (): Promise<void> => scheduler.schedule(Promise.resolve());
          const runClient = async (plan: ClientStep[]): Promise<void> => {
            const inFlight: Promise<void>[] = [];
            for (const { step, awaited } of plan) {
              await scheduler.schedule(Promise.resolve(), step.kind);
              const done = runStep(db, recorder, step, yieldPoint);
              if (awaited) await done;
              else inFlight.push(done);
            }
            await Promise.all(inFlight);
          };
          await scheduler.waitFor(Promise.all(plans.map(runClient)));

          const models = [new SortedModel()];
          for (const write of recorder.writes) {
            const next = (models.at(-1) as SortedModel).clone();
            next.apply(write.ops);
            models.push(next);
          }
          expect(recorder.writes.every((write) => write.ackedAt !== undefined)).toBe(true);
          checkReads(recorder, models);
          const final = show((models.at(-1) as SortedModel).scan());
          expect(show(await collect(db.iterator()))).toEqual(final);
          expect(db.stats().sequence).toBe(recorder.operations);
          await db.close();
          const again = await DB.open('/db', { ...TINY, vfs });
          expect(show(await collect(again.iterator()))).toEqual(final);
          expect(again.stats().sequence).toBe(recorder.operations);
          await again.close();
        } finally {
          await db.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// A read-only refresh racing a live writer's file deletions, made deterministic.

interface RaceControl {
  /** How many of the reader's next page-file opens the writer races. */
  armed: number;
  races: number;
}

/**
 * The reader's view of `inner`: each time the reader is about to open a page file while the
 * control is armed, the writer first writes, flushes and compacts everything, which deletes
 * that very file (the reader read a manifest naming it a moment before). This is the window a
 * read-only open has against a busy writer, every time instead of now and then.
 */
function racingVfs(inner: MemoryVfs, writer: DB, control: RaceControl): Vfs {
  const vfs = Object.create(inner) as Vfs;
  vfs.open = async (path, options) => {
    if (control.armed > 0 && path.endsWith('.sst')) {
      control.armed--;
      control.races++;
      await writer.put(`race ${control.races}`, 'x');
      await writer.compactRange();
      // The writer deletes a retired file in the background, a few microtasks later.
      for (let i = 0; i < 100 && (await inner.stat(path)) !== undefined; i++) await new Promise((resolve) => setImmediate(resolve));
    }
    return inner.open(path, options);
  };
  return vfs;
}

describe('a read-only refresh racing a live writer', () => {
  async function setUp(): Promise<{ inner: MemoryVfs; writer: DB; reader: ReadOnlyDB; control: RaceControl }> {
    const inner = new MemoryVfs();
    const writer = await DB.open('/db', { vfs: inner });
    await writer.put('a', '1');
    await writer.compactRange();
    const control: RaceControl = { armed: 0, races: 0 };
    const reader = await DB.open('/db', { vfs: racingVfs(inner, writer, control), readOnly: true });
    await writer.put('b', '2');
    await writer.compactRange();
    return { inner, writer, reader, control };
  }

  it('starts over when the writer deletes a page file between the manifest read and the open', async () => {
    const { writer, reader, control } = await setUp();
    control.armed = 1;
    await reader.refresh();
    expect(control.races).toBe(1);
    expect(text(await reader.get('race 1'))).toBe('x');
    await reader.close();
    await writer.close();
  });

  it('regression: keeps starting over while the writer wins race after race, instead of reporting CORRUPTION', async () => {
    // Found by the cross-process test below: under a busy writer with tiny memtables, about
    // one refresh in a few hundred gave up with CORRUPTION ("page file named by the manifest
    // is missing" or "WAL segment the manifest needs is missing") after a fixed 8 attempts,
    // although nothing was damaged. Here the writer wins the race 20 times in a row.
    const { writer, reader, control } = await setUp();
    control.armed = 20;
    await reader.refresh();
    expect(control.races).toBe(20);
    expect(text(await reader.get('race 20'))).toBe('x');
    expect((await writer.verify()).damaged).toEqual([]);
    await reader.close();
    await writer.close();
  });

  it('reports CORRUPTION naming the file when page files are missing and no writer moved the manifest', async () => {
    const { inner, writer, reader } = await setUp();
    await writer.close();
    for (const name of await inner.list('/db')) if (name.endsWith('.sst')) await inner.unlink(`/db/${name}`);
    await expect(DB.open('/db', { vfs: inner, readOnly: true })).rejects.toMatchObject({ code: 'CORRUPTION', message: expect.stringMatching(/\.sst: page file named by the manifest is missing/) as unknown });
    await reader.close();
  });
});

// ---------------------------------------------------------------------------------------
// A writer here, read-only readers in two other processes.

/** Batch i of the cross-process workload: see the test's comment. */
function crossProcessBatch(i: number): BatchOp[] {
  const item = (n: number): string => `item:${String(n).padStart(6, '0')}`;
  const ops: BatchOp[] = [
    { type: 'put', key: 'counter', value: String(i) },
    { type: 'put', key: item(i), value: `value ${i} ${'x'.repeat(i % 97)}` },
  ];
  if (i >= 30) ops.push({ type: 'del', key: item(i - 30) });
  if (i % 7 === 0) ops.push({ type: 'put', key: 'hot', value: `hot ${i}` });
  if (i % 40 === 39) ops.push({ type: 'delRange', start: item(0), end: item(i - 20) });
  return ops;
}

/** A state as the observer prints it: [key, value] text pairs in key order (all keys are ASCII). */
function stateDigest(entries: readonly (readonly [string, string])[]): string {
  return createHash('sha1').update(JSON.stringify(entries)).digest('hex');
}

interface Observation {
  floor: number;
  /** Writes issued when the line arrived here (the observation cannot hold more). */
  issued: number;
  digest: string;
  counter: number;
  entryCount: number;
}

type Observer = ChildProcessByStdio<Writable, Readable, null>;

describe('read-only readers in other processes while this process writes', () => {
  it('each observation is a state some prefix of the writes produced, holds every write acknowledged before it, and never goes back', async () => {
    // Goal: a read-only open (and refresh) in another process sees a consistent prefix of a
    // live writer's acknowledged writes, while that writer switches memtables, flushes,
    // compacts in a worker thread and deletes files.
    // Strategy: this process writes batches on the real file system with up to 8 in flight
    // (8 KiB memtables, tiny compaction targets). Batch i sets `counter` = i and
    // `item:<i>`, deletes `item:<i-30>`, every 7th sets `hot`, and every 40th range-deletes old
    // items, so states differ from batch to batch. Two child processes
    // (child/read-only-observer.mjs) refresh (or reopen) in a loop and print each state with
    // its floor: the number of writes acknowledged here, as this process last told them,
    // before the observation began. The writer stops after at least 1000 batches once both
    // readers have made 30 observations (or after 8000 batches), then tells each reader the
    // final count for one last observation. A refresh or open that fails fails the test:
    // this test found that one refresh in a few hundred gave up with CORRUPTION after losing
    // eight races in a row to the writer's deletions (see the regression tests above).
    // Invariants: with counter = c the observed state equals the model after c+1 writes
    // (compared by digest), c+1 is at least the floor and at most the writes issued when the
    // line arrived; each reader's c never decreases, across refreshes and fresh opens; the
    // last observation is the final state.
    const root = mkdtempSync(join(tmpdir(), 'kv-concurrency-'));
    const dir = join(root, 'db');
    const db = await DB.open(dir, { memtableSize: 8192, compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 32 * 1024, targetFileSizeBytes: 16 * 1024 } });
    const observers: Observer[] = [];
    try {
      const model = new Map<string, string>();
      const digests = [stateDigest([])];
      let issued = 0;
      let acknowledged = 0;
      const seen: Observation[][] = [[], []];
      const finished: Promise<void>[] = [];
      for (let n = 0; n < 2; n++) {
        const child = spawn(process.execPath, [new URL('./child/read-only-observer.mjs', import.meta.url).pathname, dir], { stdio: ['pipe', 'pipe', 'inherit'] });
        observers.push(child);
        finished.push(collectObservations(child, seen[n] as Observation[], () => issued));
      }

      const inFlight = new Map<number, Promise<void>>();
      const done = new Set<number>();
      const enough = (): boolean => issued >= 8000 || (issued >= 1000 && seen.every((lines) => lines.length >= 30));
      while (!enough()) {
        if (inFlight.size >= 8) await Promise.race(inFlight.values());
        const i = issued++;
        const ops = crossProcessBatch(i);
        for (const op of ops) applyText(model, op);
        digests.push(stateDigest([...model].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))));
        const write = db.write(ops).then(() => {
          inFlight.delete(i);
          done.add(i);
          const before = acknowledged;
          while (done.delete(acknowledged)) acknowledged++;
          if (acknowledged > before) for (const child of observers) child.stdin.write(`acked ${acknowledged}\n`);
        });
        inFlight.set(i, write);
      }
      await Promise.all(inFlight.values());
      expect(acknowledged).toBe(issued);
      for (const child of observers) child.stdin.write(`final ${issued}\n`);
      await Promise.all(finished);

      for (const lines of seen) {
        expect(lines.filter((line) => line.issued < issued).length, 'observations made while writes went on').toBeGreaterThan(1);
        let last = -1;
        for (const line of lines) {
          const prefix = line.counter + 1;
          expect(prefix, 'holds every write acknowledged before it began').toBeGreaterThanOrEqual(line.floor);
          expect(prefix, 'holds no write not yet issued').toBeLessThanOrEqual(line.issued);
          expect(line.digest, `state with counter ${line.counter} (${line.entryCount} entries) is the state after ${prefix} writes`).toBe(digests[prefix]);
          expect(line.counter, 'never goes back').toBeGreaterThanOrEqual(last);
          last = line.counter;
        }
        expect(last + 1, 'the last observation is the final state').toBe(issued);
      }
    } finally {
      for (const child of observers) child.kill('SIGKILL');
      await db.close();
      rmSync(root, { recursive: true, force: true });
    }
  }, 120_000);
});

function applyText(model: Map<string, string>, op: BatchOp): void {
  if (op.type === 'put') model.set(op.key as string, op.value as string);
  else if (op.type === 'del') model.delete(op.key as string);
  else for (const name of [...model.keys()]) if (name >= (op.start as string) && name < (op.end as string)) model.delete(name);
}

/** Reads the observer's lines into `into` until it prints "done"; rejects on an error line or exit. */
function collectObservations(child: Observer, into: Observation[], issued: () => number): Promise<void> {
  return new Promise((resolve, reject) => {
    let sawDone = false;
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line === 'done') {
        sawDone = true;
        return;
      }
      const parsed = JSON.parse(line) as { floor: number; entries: [string, string][]; error?: string; message?: string };
      if (parsed.error !== undefined) {
        reject(new Error(`observer failed with ${parsed.error}: ${parsed.message}`));
        return;
      }
      const counter = parsed.entries.find(([k]) => k === 'counter')?.[1];
      into.push({ floor: parsed.floor, issued: issued(), digest: stateDigest(parsed.entries), counter: counter === undefined ? -1 : Number(counter), entryCount: parsed.entries.length });
    });
    // 'close' comes after the child's output has been read to the end.
    child.on('close', (code) => (code === 0 && sawDone ? resolve() : reject(new Error(`observer exited with ${code}`))));
  });
}
