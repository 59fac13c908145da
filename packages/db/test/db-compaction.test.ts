import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import type { DbOptions } from '../src/index.js';
import { SortedModel, collect, show } from './support/sorted-model.js';
import { runSnapshotStep, snapshotStep } from './support/snapshot-workload.js';
import type { LiveSnapshot } from './support/snapshot-workload.js';

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));
const key = (i: number): string => `key${String(i).padStart(6, '0')}`;
const small: DbOptions = { memtableSize: 4096, pageSize: 1024, compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 16 * 1024, targetFileSizeBytes: 8 * 1024 } };

async function settle(db: DB): Promise<void> {
  await db.flush();
  for (let i = 0; i < 200 && db.stats().levels[0]!.files >= 2; i++) await new Promise((resolve) => setTimeout(resolve, 5));
}

describe('leveled compaction', () => {
  it('moves data below level 0 in the background and keeps every value', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...small });
    for (let i = 0; i < 3000; i++) await db.put(key(i % 1000), `v${i}`);
    await settle(db);
    const stats = db.stats();
    expect(stats.compactions.count).toBeGreaterThan(0);
    expect(stats.levels.slice(1).some((level) => level.files > 0)).toBe(true);
    expect(stats.writeAmplification).toBeGreaterThan(1);
    for (let i = 0; i < 1000; i++) expect(text(await db.get(key(i)))).toBe(`v${2000 + i}`);
    expect((await collect(db.iterator())).length).toBe(1000);
    await db.close();
    const again = await DB.open('/db', { vfs, ...small });
    expect(text(await again.get(key(999)))).toBe('v2999');
    await again.close();
  });

  it('moves sequentially written files down a level without rewriting them', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs(), ...small });
    const events: { trivialMove: boolean; bytesWritten: number }[] = [];
    db.on('compaction', (event) => events.push(event));
    for (let i = 0; i < 600; i++) await db.put(key(i), `value ${i}`);
    await db.flush();
    // Background compaction catches up: level 0 drops under its trigger of 2.
    for (let i = 0; i < 500 && (db.stats().levels[0]?.files ?? 0) >= 2; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    const moves = events.filter((event) => event.trivialMove);
    expect(moves.length).toBeGreaterThan(0);
    expect(moves.every((event) => event.bytesWritten === 0)).toBe(true);
    for (let i = 0; i < 600; i += 37) expect(text(await db.get(key(i)))).toBe(`value ${i}`);
    expect((await collect(db.iterator())).length).toBe(600);
    await db.close();
  });

  it('compactRange drops deleted keys and old versions down to the bottom level', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...small });
    for (let i = 0; i < 500; i++) await db.put(key(i), 'x'.repeat(50));
    for (let i = 0; i < 500; i += 2) await db.delete(key(i));
    await db.compactRange();
    const stats = db.stats();
    expect(stats.levels[0]?.files).toBe(0);
    const entries = stats.levels.reduce((sum, level) => sum + level.files, 0);
    expect(entries).toBeGreaterThan(0);
    expect(await db.get(key(0))).toBeUndefined();
    expect(text(await db.get(key(1)))).toBe('x'.repeat(50));
    expect((await collect(db.iterator())).length).toBe(250);
    await db.compactRange(key(100), key(200));
    await db.close();
  });

  it('runs compaction in a worker thread on the real file system', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-compaction-'));
    try {
      const db = await DB.open(dir, small);
      for (let i = 0; i < 2000; i++) await db.put(key(i % 700), `v${i}`);
      await db.compactRange();
      expect(db.stats().compactions.count).toBeGreaterThan(0);
      for (let i = 0; i < 700; i++) expect(text(await db.get(key(i)))).toBe(`v${i + 1400 <= 1999 ? i + 1400 : i + 700}`);
      await db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // Goal: snapshots and the live view stay exact through automatic and manual compactions.
  // Strategy: random batches with tiny memtables and compaction targets, random snapshots,
  // occasional compactRange; after each step every live snapshot is compared with the model
  // frozen at its creation, and the database with the current model.
  // Invariants: no snapshot view changes; tombstones and old versions a snapshot can see survive.
  it('keeps every snapshot exact through compactions', async () => {
    const step = snapshotStep({ valueBytesMax: 400, opsMax: 6, writeWeight: 8, releaseIndexMax: 5 });
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 10, maxLength: 60 }), async (steps) => {
        const db = await DB.open('/db', { vfs: new MemoryVfs(), ...small });
        const model = new SortedModel();
        const live: LiveSnapshot[] = [];
        try {
          for (const s of steps) await runSnapshotStep(db, { model, live }, s, () => db.compactRange());
          await settle(db);
          for (const l of live) expect(show(await collect(l.snapshot.iterator()))).toEqual(show(l.model.scan()));
          expect(show(await collect(db.iterator({ reverse: true })))).toEqual(show(model.scan().reverse()));
        } finally {
          await db.close();
        }
      }),
      { numRuns: 40 },
    );
  });
});
