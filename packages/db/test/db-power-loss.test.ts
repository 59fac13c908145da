import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import type { DbOptions } from '../src/index.js';
import { History, expectPrefixState } from './support/history.js';
import type { ModelOp } from './support/sorted-model.js';

// Goal: a crash at any moment loses no acknowledged write the durability table promises,
// never leaves a batch half applied, and never reorders writes.
// Strategy: run a seeded workload of batches (some sync, some issued concurrently so group
// commit is exercised, with a reopen in the middle and a compactRange near the end) on a
// MemoryVfs; after every file-system operation take a crash image (power loss; torn writes;
// process kill), reopen each image and scan it. The second variant uses a 4 KiB memtable,
// so memtable switches, level-0 flushes, manifest edits and the open-time flush all happen
// inside the recorded operations; the third also compacts level 0 after two files, so
// compaction outputs, their manifest edit and the deletion of inputs are crashed at every step.
// Invariants: the recovered state equals the model after a prefix of the issued writes;
// after power loss the prefix covers every write up to the last acknowledged sync write;
// after a process kill it covers every acknowledged write.

interface CrashPoint {
  image: MemoryVfs;
  mustKeep: number;
  issued: number;
}

const op = fc.oneof(
  fc.record({ type: fc.constant('put' as const), key: fc.uint8Array({ minLength: 1, maxLength: 2, max: 5 }), value: fc.uint8Array({ maxLength: 600 }) }),
  fc.record({ type: fc.constant('del' as const), key: fc.uint8Array({ minLength: 1, maxLength: 2, max: 5 }) }),
);
const round = fc.array(fc.record({ ops: fc.array(op, { minLength: 1, maxLength: 3 }), sync: fc.boolean() }), { minLength: 1, maxLength: 3 });
const workload = fc.array(round, { minLength: 4, maxLength: 10 });

async function runWorkload(rounds: { ops: ModelOp[]; sync: boolean }[][], take: (vfs: MemoryVfs, history: History) => void, options: DbOptions): Promise<History> {
  const vfs = new MemoryVfs();
  const history = new History();
  const stop = vfs.onOperation(() => take(vfs, history));
  let db = await DB.open('/db', { ...options, vfs });
  for (const [index, writes] of rounds.entries()) {
    await Promise.all(
      writes.map(async (write) => {
        const id = history.issue(write);
        await db.write(write.ops, { sync: write.sync });
        history.acknowledge(id);
      }),
    );
    if (index === Math.floor(rounds.length / 2)) {
      await db.close();
      db = await DB.open('/db', { ...options, vfs });
    }
    if (index === rounds.length - 2) await db.compactRange();
  }
  await db.close();
  stop();
  return history;
}

async function checkCrashPoints(points: CrashPoint[], history: History, options: DbOptions): Promise<void> {
  for (const point of points) {
    const db = await DB.open('/db', { ...options, vfs: point.image });
    try {
      await expectPrefixState(db, history, point);
    } finally {
      await db.close();
    }
  }
}

describe('power loss and process kill at every file-system operation', () => {
  it.each([
    ['WAL only', {}],
    ['flushes and manifest edits (4 KiB memtable)', { memtableSize: 4096, pageSize: 1024 }],
    ['compactions (4 KiB memtable, compaction after 2 level-0 files)', { memtableSize: 4096, pageSize: 1024, compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 8192, targetFileSizeBytes: 4096 } }],
  ] as [string, DbOptions][])('recovers a prefix that keeps every write the durability table promises: %s', async (_name, options) => {
    let checked = 0;
    await fc.assert(
      fc.asyncProperty(workload, fc.integer({ min: 1, max: 1_000_000 }), async (rounds, seed) => {
        const points: CrashPoint[] = [];
        const history = await runWorkload(rounds, (vfs, h) => {
          const issued = h.issued.length;
          points.push({ image: vfs.crashImage({ mode: 'power-loss' }), mustKeep: h.syncedPrefix, issued });
          points.push({ image: vfs.crashImage({ mode: 'torn', seed: seed + points.length }), mustKeep: h.syncedPrefix, issued });
          points.push({ image: vfs.crashImage({ mode: 'process-kill' }), mustKeep: h.acknowledged, issued });
        }, options);
        await checkCrashPoints(points, history, options);
        checked += points.length;
      }),
      { numRuns: 12 },
    );
    expect(checked).toBeGreaterThan(500);
  });

  it('keeps a sync write acknowledged just before power loss', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('unsynced', 'maybe');
    await db.put('synced', 'kept', { sync: true });
    const image = vfs.crashImage({ mode: 'power-loss' });
    await db.close();
    const again = await DB.open('/db', { vfs: image });
    expect(new TextDecoder().decode(await again.get('synced'))).toBe('kept');
    expect(new TextDecoder().decode(await again.get('unsynced'))).toBe('maybe');
    await again.close();
  });

  it('drops un-synced default writes on power loss but keeps them on process kill', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('durable', 'yes', { sync: true });
    await db.put('volatile', 'maybe');
    const lost = vfs.crashImage({ mode: 'power-loss' });
    const killed = vfs.crashImage({ mode: 'process-kill' });
    await db.close();
    const afterPowerLoss = await DB.open('/db', { vfs: lost });
    expect(await afterPowerLoss.get('volatile')).toBeUndefined();
    expect(await afterPowerLoss.get('durable')).toBeDefined();
    await afterPowerLoss.close();
    const afterKill = await DB.open('/db', { vfs: killed });
    expect(await afterKill.get('volatile')).toBeDefined();
    await afterKill.close();
  });

  it('keeps writing after recovering from a torn tail, and the next reopen sees both', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('before', '1', { sync: true });
    await db.put('torn', 'x'.repeat(5000));
    const image = vfs.crashImage({ mode: 'torn', seed: 7 });
    await db.close();
    const recovered = await DB.open('/db', { vfs: image });
    await recovered.put('after', '2', { sync: true });
    await recovered.close();
    const again = await DB.open('/db', { vfs: image, walRecoveryMode: 'absoluteConsistency' });
    expect(await again.get('before')).toBeDefined();
    expect(await again.get('after')).toBeDefined();
    await again.close();
  });
});
