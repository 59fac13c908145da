import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB, PAIRED_FLUSH_BELOW_BYTES } from '../src/index.js';
import type { DbOptions, FlushEvent } from '../src/index.js';
import { collect } from './support/sorted-model.js';

// Memtables smaller than PAIRED_FLUSH_BELOW_BYTES are flushed two at a time: the first frozen
// memtable waits for the second, and one level-0 file and one manifest edit take both.

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));
const key = (i: number): string => `key${String((i * 7919) % 100_003).padStart(6, '0')}`;
const value = (i: number): string => `value ${i} `.padEnd(200, '.');
// Compaction waits for many level-0 files, so each flush's file stays visible in level 0.
const SMALL: DbOptions = { memtableSize: 8 * 1024, compaction: { level0CompactionTrigger: 50, level0SlowdownTrigger: 60, level0StopTrigger: 70 } };

const turns = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const level0Files = (db: DB): number => db.stats().levels[0]?.files ?? 0;
const walSegments = async (vfs: MemoryVfs): Promise<number> => (await vfs.list('/db')).filter((name) => name.endsWith('.log')).length;

/** Puts keys from `next` one at a time until `done()`; returns the next key number. */
async function putUntil(db: DB, next: number, done: () => boolean, options?: { sync: boolean }): Promise<number> {
  let i = next;
  while (!done()) {
    await db.put(key(i), value(i), options);
    i++;
    if (i - next > 10_000) throw new Error('condition never reached');
  }
  return i;
}

function recordFlushes(db: DB): FlushEvent[] {
  const flushes: FlushEvent[] = [];
  db.on('flush', (event) => flushes.push(event));
  return flushes;
}

/** One batch of puts from `first` that overflows a SMALL memtable by itself: the switch after it leaves the active memtable empty. */
async function writeOverflowingBatch(db: DB, first: number): Promise<number> {
  const ops = [];
  for (let i = first; i < first + 60; i++) ops.push({ type: 'put' as const, key: key(i), value: value(i) });
  await db.write(ops);
  for (let wait = 0; wait < 400 && db.stats().memtables.immutableCount === 0; wait++) await turns(5);
  return first + 60;
}

async function expectAll(db: DB, count: number): Promise<void> {
  for (let i = 0; i < count; i++) expect(text(await db.get(key(i))), key(i)).toBe(value(i));
  expect((await collect(db.iterator())).length).toBe(count);
}

describe('small memtables flushed in pairs', () => {
  it('keeps the first frozen memtable until the second, then writes both to one level-0 file', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...SMALL });
    const flushes = recordFlushes(db);
    let next = await putUntil(db, 0, () => db.stats().memtables.immutableCount === 1);
    await turns(20);
    // Waiting: no file yet, the memtable readable, its segment kept beside the active one.
    expect(flushes).toHaveLength(0);
    expect(level0Files(db)).toBe(0);
    expect(db.stats().memtables.immutableCount).toBe(1);
    expect(await walSegments(vfs)).toBe(2);
    expect(text(await db.get(key(0)))).toBe(value(0));
    next = await putUntil(db, next, () => flushes.length === 1);
    const [pair] = flushes;
    expect(pair?.memtables).toBe(2);
    expect(level0Files(db)).toBe(1);
    expect(db.stats().memtables.immutableCount).toBe(0);
    // Both segments went with the one manifest edit: only the active one is left.
    expect(await walSegments(vfs)).toBe(1);
    // Keep going: every flush is a pair, and one file per flush.
    next = await putUntil(db, next, () => flushes.length === 4);
    expect(flushes.map((event) => event.memtables)).toEqual([2, 2, 2, 2]);
    expect(level0Files(db)).toBe(4);
    expect(flushes.reduce((sum, event) => sum + event.entries, 0)).toBeLessThan(next);
    await expectAll(db, next);
    await db.close();
    const again = await DB.open('/db', { vfs, ...SMALL });
    await expectAll(again, next);
    await again.close();
  });

  it('flush() and close() write a memtable still waiting for its partner by itself', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...SMALL });
    const flushes = recordFlushes(db);
    let next = await writeOverflowingBatch(db, 0);
    // The switch left the active memtable empty: flush() has only the waiting one to write.
    expect(db.stats().memtables).toMatchObject({ immutableCount: 1, activeBytes: 0 });
    await db.flush();
    expect(flushes.map((event) => event.memtables)).toEqual([1]);
    expect(db.stats().memtables.immutableCount).toBe(0);
    // Pairs again afterwards: flush() does not leave the flusher writing one at a time.
    next = await putUntil(db, next, () => flushes.length === 2);
    expect(flushes[1]?.memtables).toBe(2);
    await db.flush();
    next = await writeOverflowingBatch(db, next);
    expect(db.stats().memtables).toMatchObject({ immutableCount: 1, activeBytes: 0 });
    await db.close();
    expect(flushes.at(-1)?.memtables).toBe(1);
    // flushOnClose wrote everything: the reopen has no WAL to replay.
    const again = await DB.open('/db', { vfs, ...SMALL });
    expect(again.stats().memtables.activeBytes).toBe(0);
    await expectAll(again, next);
    await again.close();
  });

  it('with a flush interval, flushes a memtable that waited that long by itself', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...SMALL, flushIntervalMs: 10 });
    const flushes = recordFlushes(db);
    const next = await writeOverflowingBatch(db, 0);
    expect(db.stats().memtables).toMatchObject({ immutableCount: 1, activeBytes: 0 });
    for (let i = 0; i < 400 && flushes.length === 0; i++) await turns(5);
    expect(flushes.map((event) => event.memtables)).toEqual([1]);
    expect(await walSegments(vfs)).toBe(1);
    await expectAll(db, next);
    await db.close();
  });

  it('keeps an older version in the pair only while a snapshot can read it', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...SMALL });
    const flushes = recordFlushes(db);
    await db.put('k', 'first');
    const snapshot = db.snapshot();
    await db.put('gone', 'first');
    // Fill the first memtable (the filler keys sort after 'k').
    let next = await putUntil(db, 0, () => db.stats().memtables.immutableCount === 1);
    await db.put('k', 'second');
    await db.put('gone', 'second');
    next = await putUntil(db, next, () => flushes.length === 1);
    expect(flushes[0]?.memtables).toBe(2);
    expect(text(await db.get('k'))).toBe('second');
    expect(text(await snapshot.get('k'))).toBe('first');
    // 'gone' was written after the snapshot: its first version is unreadable and left out.
    expect(text(await snapshot.get('gone'))).toBeUndefined();
    snapshot.release();
    await db.compactRange();
    expect(text(await db.get('k'))).toBe('second');
    expect(text(await db.get('gone'))).toBe('second');
    await db.close();
  });

  it('a memtable of PAIRED_FLUSH_BELOW_BYTES or more is flushed as soon as it is frozen', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: PAIRED_FLUSH_BELOW_BYTES });
    const flushes = recordFlushes(db);
    const big = 'x'.repeat(4000);
    let i = 0;
    while (db.stats().memtables.immutableCount === 0 && flushes.length === 0) await db.put(key(i++), big);
    for (let wait = 0; wait < 400 && flushes.length === 0; wait++) await turns(5);
    expect(flushes.map((event) => event.memtables)).toEqual([1]);
    await db.close();
  });

  it('a power loss anywhere in a paired flush keeps every synced write and opens to a prefix of the writes', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...SMALL });
    const flushes = recordFlushes(db);
    let acknowledged = await putUntil(db, 0, () => db.stats().memtables.immutableCount === 1, { sync: true });
    // From here on, a power-loss image at every file-system operation, with the writes
    // acknowledged by then; the second memtable fills and the pair is flushed.
    const images: { image: MemoryVfs; acknowledged: number }[] = [];
    vfs.onOperation(() => images.push({ image: vfs.crashImage({ mode: 'power-loss' }), acknowledged }));
    while (flushes.length === 0) {
      await db.put(key(acknowledged), value(acknowledged), { sync: true });
      acknowledged++;
    }
    await db.close();
    expect(flushes[0]?.memtables).toBe(2);
    expect(images.length).toBeGreaterThan(10);
    for (const { image, acknowledged: synced } of images) {
      const reopened = await DB.open('/db', { vfs: image, ...SMALL });
      const found = await collect(reopened.iterator());
      // Puts in key order are scattered: check the count, then each synced key.
      expect(found.length).toBeGreaterThanOrEqual(synced);
      expect(found.length).toBeLessThanOrEqual(synced + 1);
      for (let i = 0; i < found.length; i++) expect(text(await reopened.get(key(i))), key(i)).toBe(value(i));
      await reopened.close();
    }
  });
});
