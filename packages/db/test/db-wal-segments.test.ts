/**
 * Two things the engine does with WAL segments to keep the disk off the write path, and what
 * they must not change.
 * - Preallocation: zeros written ahead of durable writes (`WAL_PREALLOCATE_BYTES_MAX`), so a
 *   synced put overwrites space the segment already has. Power loss keeps every durable write
 *   and opens cleanly in every recovery mode; the zeros are cut at a switch, a close and a
 *   recovery; writes that never sync write no zeros at all.
 * - Creating the next segment ahead, once the active memtable is half full, so a switch does
 *   not wait for it. A switch takes it; a failed creation leaves the switch to make its own;
 *   close deletes it; a crash leaves an empty log that recovery reads as nothing.
 * - Reopening a cleanly closed database continues its empty segment and its manifest: no file
 *   is created, no manifest edit written, nothing synced (the manifest's close marker says
 *   its edits were). Writes after such a reopen are as durable as any.
 */
import { describe, expect, it } from 'vitest';
import { readManifest } from '@kv/manifest';
import { MemoryVfs } from '@kv/vfs';
import { DB, WAL_PREALLOCATE_BYTES_MAX } from '../src/index.js';
import { HEADER_RECORD_BYTES_V1 } from '@kv/wal';
import type { WalRecoveryMode } from '@kv/wal';
import { text } from './support/utf8.js';

const logNames = async (vfs: MemoryVfs): Promise<string[]> => (await vfs.list('/db')).filter((name) => name.endsWith('.log')).sort();

const walSizes = async (vfs: MemoryVfs): Promise<number[]> =>
  Promise.all((await logNames(vfs)).map(async (name) => (await vfs.stat(`/db/${name}`))?.sizeBytes ?? -1));

describe('WAL preallocation', () => {
  it.each<WalRecoveryMode>(['tolerateCorruptedTail', 'absoluteConsistency', 'pointInTime', 'skipCorrupted'])(
    'keeps every durable write across power loss and opens cleanly in %s, cutting the zeros',
    async (walRecoveryMode) => {
      const vfs = new MemoryVfs();
      const db = await DB.open('/db', { vfs, walRecoveryMode });
      for (let i = 0; i < 20; i++) await db.put(`k${i}`, `v${i}`, { sync: true });
      await db.put('unsynced', 'maybe');
      expect(Math.max(...(await walSizes(vfs)))).toBeGreaterThanOrEqual(WAL_PREALLOCATE_BYTES_MAX);
      const image = vfs.crashImage({ mode: 'power-loss' });
      await db.close();
      const reopened = await DB.open('/db', { vfs: image, walRecoveryMode, flushOnClose: false });
      for (let i = 0; i < 20; i++) expect(text(await reopened.get(`k${i}`))).toBe(`v${i}`);
      const sizes = await walSizes(image);
      expect(Math.max(...sizes)).toBeLessThan(WAL_PREALLOCATE_BYTES_MAX);
      await reopened.close();
    },
  );

  it('cuts the zeros when a memtable switch finishes a segment and when close syncs the last one', async () => {
    const vfs = new MemoryVfs();
    const memtableSize = 64 * 1024;
    const db = await DB.open('/db', { vfs, memtableSize, flushOnClose: false });
    let i = 0;
    for (; db.stats().flushes.count === 0; i++) await db.put(`k${i}`, 'x'.repeat(200), { sync: true });
    for (let j = 0; j < 5; j++, i++) await db.put(`k${i}`, 'x'.repeat(200), { sync: true });
    await db.close();
    for (const size of await walSizes(vfs)) expect(size).toBeLessThan(memtableSize);
    const reopened = await DB.open('/db', { vfs, walRecoveryMode: 'absoluteConsistency' });
    expect(text(await reopened.get(`k${i - 1}`))).toBe('x'.repeat(200));
    await reopened.close();
  });

  it('writes no zeros for writes that never ask for sync', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, flushOnClose: false });
    let bytes = 0;
    for (let i = 0; i < 100; i++) {
      await db.put(`k${i}`, 'v'.repeat(100));
      bytes += 100;
    }
    const [size] = await walSizes(vfs);
    expect(size).toBeLessThan(bytes * 2);
    await db.close();
  });
});

describe('the next WAL segment, created ahead', () => {
  const memtableSize = 16 * 1024;
  const fillUntil = async (db: DB, done: () => boolean | Promise<boolean>, from = 0): Promise<number> => {
    let i = from;
    for (; !(await done()) && i < from + 5000; i++) await db.put(`k${String(i).padStart(6, '0')}`, 'x'.repeat(100));
    return i;
  };

  it('exists once the memtable is half full, and the switch takes it instead of creating one', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize, flushOnClose: false });
    const [first] = await logNames(vfs);
    const written = await fillUntil(db, async () => (await logNames(vfs)).length === 2);
    const prepared = (await logNames(vfs))[1];
    expect(db.stats().flushes.count).toBe(0);
    let createdAtSwitch = 0;
    const stop = vfs.onOperation((operation) => {
      if (operation.kind === 'create' && operation.path.endsWith('.log')) createdAtSwitch++;
    });
    await db.flush();
    stop();
    expect(createdAtSwitch).toBe(0);
    expect(await logNames(vfs)).toEqual([prepared]);
    expect(prepared).not.toBe(first);
    await db.close();
    const reopened = await DB.open('/db', { vfs, walRecoveryMode: 'absoluteConsistency' });
    expect(text(await reopened.get(`k${String(written - 1).padStart(6, '0')}`))).toBe('x'.repeat(100));
    await reopened.close();
  });

  it('is deleted by close, so a closed database holds one segment', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize, flushOnClose: false });
    await fillUntil(db, async () => (await logNames(vfs)).length === 2);
    await db.close();
    expect((await logNames(vfs)).length).toBe(1);
  });

  it('a creation that fails (disk full) fails no write: the switch creates the segment itself', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize, flushOnClose: false });
    // The first file created from now on is the segment created ahead.
    vfs.failOperation({ kind: 'open', nth: 1, error: 'ENOSPC', pathSuffix: '.log' });
    const halfFull = await fillUntil(db, () => db.stats().memtables.activeBytes >= memtableSize * 0.75);
    expect(await logNames(vfs)).toHaveLength(1);
    const written = await fillUntil(db, () => db.stats().flushes.count > 0, halfFull);
    expect(db.stats().flushes.failures).toBe(0);
    await db.close();
    const reopened = await DB.open('/db', { vfs, walRecoveryMode: 'absoluteConsistency' });
    for (const i of [0, written - 1]) expect(text(await reopened.get(`k${String(i).padStart(6, '0')}`))).toBe('x'.repeat(100));
    await reopened.close();
  });

  it('left behind by a crash, it is an empty log: recovery keeps every write and opens cleanly in absoluteConsistency', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize, flushOnClose: false });
    const written = await fillUntil(db, async () => (await logNames(vfs)).length === 2);
    const image = vfs.crashImage({ mode: 'process-kill' });
    await db.close();
    const reopened = await DB.open('/db', { vfs: image, walRecoveryMode: 'absoluteConsistency' });
    for (let i = 0; i < written; i++) expect(text(await reopened.get(`k${String(i).padStart(6, '0')}`))).toBe('x'.repeat(100));
    await reopened.close();
  });
});

describe('reopening a cleanly closed database', () => {
  const manifestNames = async (vfs: MemoryVfs): Promise<string[]> => (await vfs.list('/db')).filter((name) => name.startsWith('MANIFEST-'));

  it('continues the empty segment and the manifest: nothing created, no edit written, nothing synced', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    for (let i = 0; i < 50; i++) await db.put(`k${i}`, `v${i}`);
    await db.close();
    const [logs, manifests, edits] = [await logNames(vfs), await manifestNames(vfs), (await readManifest(vfs, '/db'))?.editCount];
    expect(logs).toHaveLength(1);
    const seen: string[] = [];
    const stop = vfs.onOperation((op) => seen.push(`${op.kind} ${op.path}`));
    const reopened = await DB.open('/db', { vfs });
    stop();
    expect(seen.filter((op) => op.startsWith('create ') && !op.endsWith('/LOCK'))).toEqual([]);
    expect(seen.filter((op) => op.startsWith('sync') && !op.endsWith('/LOCK'))).toEqual([]);
    expect(await logNames(vfs)).toEqual(logs);
    expect(await manifestNames(vfs)).toEqual(manifests);
    expect((await readManifest(vfs, '/db'))?.editCount).toBe(edits);
    expect(text(await reopened.get('k7'))).toBe('v7');
    await reopened.close();
  });

  it('keeps writes made after the reopen: synced ones through a power loss, the others through a process kill', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('before', 'close');
    await db.close();
    const logs = await logNames(vfs);
    const reopened = await DB.open('/db', { vfs });
    // The writes below go to the continued segment.
    expect(await logNames(vfs)).toEqual(logs);
    await reopened.put('durable', 'yes', { sync: true });
    await reopened.put('written', 'yes');
    const powerLoss = vfs.crashImage({ mode: 'power-loss' });
    const processKill = vfs.crashImage({ mode: 'process-kill' });
    await reopened.close();
    for (const [image, expected] of [[powerLoss, ['close', 'yes', undefined]], [processKill, ['close', 'yes', 'yes']]] as const) {
      const recovered = await DB.open('/db', { vfs: image, walRecoveryMode: 'absoluteConsistency' });
      const values = await Promise.all(['before', 'durable', 'written'].map(async (key) => {
        const value = await recovered.get(key);
        return value === undefined ? undefined : text(value);
      }));
      expect(values).toEqual(expected);
      await recovered.close();
    }
  });

  it('starts a new segment when the live one holds writes (a crash before close), and replays them once', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('a', '1');
    const image = vfs.crashImage({ mode: 'process-kill' });
    await db.close();
    const logsBefore = await logNames(image);
    const recovered = await DB.open('/db', { vfs: image });
    const logsAfter = await logNames(image);
    expect(logsAfter).toHaveLength(1);
    expect(logsAfter).not.toEqual(logsBefore);
    await recovered.put('b', '2');
    await recovered.close();
    const again = await DB.open('/db', { vfs: image, walRecoveryMode: 'absoluteConsistency' });
    expect([text(await again.get('a')), text(await again.get('b'))]).toEqual(['1', '2']);
    await again.close();
  });

  it('does not continue a segment that holds zeros after its header (a crash after preallocation), and replaces it', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('a', '1');
    await db.close();
    const [live] = await logNames(vfs);
    const file = await vfs.open(`/db/${live ?? ''}`, { write: true });
    await file.write({ data: new Uint8Array(4096), position: HEADER_RECORD_BYTES_V1 });
    await file.sync();
    await file.close();
    const reopened = await DB.open('/db', { vfs, walRecoveryMode: 'absoluteConsistency' });
    expect(await logNames(vfs)).not.toEqual([live]);
    expect(await walSizes(vfs)).toEqual([HEADER_RECORD_BYTES_V1]);
    await reopened.put('b', '2');
    await reopened.close();
    const again = await DB.open('/db', { vfs, walRecoveryMode: 'absoluteConsistency' });
    expect([text(await again.get('a')), text(await again.get('b'))]).toEqual(['1', '2']);
    await again.close();
  });
});
