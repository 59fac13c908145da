import { spawn } from 'node:child_process';
import type { ChildProcessByStdio } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { DB } from '../src/index.js';
import type { BatchOp } from '../src/index.js';

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
    // eight races in a row to the writer's deletions (see the regression test in
    // db-concurrency-read-only-races.test.ts).
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
