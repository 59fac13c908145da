import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import { clients, runStep } from './support/client-steps.js';
import type { ClientStep } from './support/client-steps.js';
import { TINY } from './support/concurrency-workload.js';
import { Recorder, checkReads } from './support/read-history.js';
import { SortedModel, collect, show } from './support/sorted-model.js';

// Many writers and readers in one process, interleaved by fast-check's scheduler
// (support/client-steps.ts runs the steps, support/read-history.ts checks the reads).

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
