import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import type { Snapshot } from '../src/index.js';
import { SortedModel, collect, show } from './support/sorted-model.js';
import { runSnapshotStep, snapshotStep } from './support/snapshot-workload.js';
import type { LiveSnapshot } from './support/snapshot-workload.js';

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

// Goal: a snapshot's view never changes, through later writes, memtable switches and flushes.
// Strategy: random batches on a small key alphabet with a 4 KiB memtable (so flushes happen
// constantly), snapshots taken at random points and some released; after every step each
// live snapshot is read (get of every key, forward and reverse scans) and compared with the
// model frozen when it was taken.
// Invariants: snapshot reads equal the model at its creation; the live database equals the
// current model; releasing a snapshot never changes what other snapshots see.
const step = snapshotStep({ valueBytesMax: 300, opsMax: 5, writeWeight: 6, releaseIndexMax: 10 });
const allKeys: Uint8Array[] = [];
for (let a = 0; a <= 7; a++) {
  allKeys.push(Uint8Array.of(a));
  for (let b = 0; b <= 7; b++) allKeys.push(Uint8Array.of(a, b));
}

async function expectSnapshotView(snapshot: Snapshot, model: SortedModel): Promise<void> {
  for (const key of allKeys) expect(await snapshot.get(key)).toEqual(model.get(key));
  expect(show(await collect(snapshot.iterator()))).toEqual(show(model.scan()));
  expect(show(await collect(snapshot.iterator({ reverse: true })))).toEqual(show(model.scan().reverse()));
}

describe('snapshots', () => {
  it('see exactly the writes before them, through writes, switches and flushes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
        const db = await DB.open('/db', { vfs: new MemoryVfs(), memtableSize: 4096, pageSize: 1024 });
        const model = new SortedModel();
        const live: LiveSnapshot[] = [];
        try {
          for (const s of steps) {
            await runSnapshotStep(db, { model, live }, s, () => db.flush());
            for (const l of live) await expectSnapshotView(l.snapshot, l.model);
          }
          expect(show(await collect(db.iterator()))).toEqual(show(model.scan()));
        } finally {
          await db.close();
        }
      }),
      { numRuns: 60 },
    );
  });

  it('works with await using, and a released snapshot is NOT_OPEN', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs() });
    await db.put('k', 'before');
    let escaped: Snapshot | undefined;
    {
      await using snapshot = db.snapshot();
      escaped = snapshot;
      await db.put('k', 'after');
      expect(text(await snapshot.get('k'))).toBe('before');
    }
    await expect(escaped.get('k')).rejects.toMatchObject({ code: 'NOT_OPEN' });
    expect(() => escaped?.iterator()).toThrow(expect.objectContaining({ code: 'NOT_OPEN' }));
    escaped.release();
    expect(text(await db.get('k'))).toBe('after');
    await db.close();
  });

  it('keeps old versions in page files only while a snapshot needs them', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 4096 });
    await db.put('k', 'v1');
    const snapshot = db.snapshot();
    for (let i = 2; i <= 5; i++) await db.put('k', `v${i}`);
    await db.flush();
    expect(text(await snapshot.get('k'))).toBe('v1');
    expect(text(await db.get('k'))).toBe('v5');
    snapshot.release();
    await db.close();
  });

  it('an open iterator keeps reading its files while new versions are installed', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs(), memtableSize: 4096 });
    const writes = Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(4, '0')}`, value: 'x'.repeat(50) }));
    await db.write(writes);
    await db.flush();
    const iterator = db.iterator();
    const first = await iterator.next();
    for (let i = 0; i < 200; i++) await db.put(`k${String(i).padStart(4, '0')}`, 'y');
    await db.flush();
    let count = first.done === true ? 0 : 1;
    for await (const [, value] of iterator) {
      expect(text(value)).toBe('x'.repeat(50));
      count++;
    }
    expect(count).toBe(200);
    await db.close();
  });
});
