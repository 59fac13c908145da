/**
 * The WAL writes zeros ahead of durable writes (`WAL_PREALLOCATE_BYTES_MAX`), so a synced put
 * overwrites space the segment already has. These tests pin down what that must not change:
 * power loss keeps every durable write and opens cleanly in every recovery mode, the zeros are
 * cut at a switch, a close and a recovery, and writes that never sync write no zeros at all.
 */
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB, WAL_PREALLOCATE_BYTES_MAX } from '../src/index.js';
import type { WalRecoveryMode } from '@kv/wal';

const walSizes = async (vfs: MemoryVfs): Promise<number[]> => {
  const names = (await vfs.list('/db')).filter((name) => name.endsWith('.log'));
  return Promise.all(names.map(async (name) => (await vfs.stat(`/db/${name}`))?.sizeBytes ?? -1));
};

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

describe('WAL preallocation', () => {
  it.each<WalRecoveryMode>(['tolerateCorruptedTail', 'absoluteConsistency', 'pointInTime', 'skipCorrupted'])(
    'keeps every durable write across power loss and opens cleanly in %s, cutting the zeros',
    async (walRecoveryMode) => {
      const vfs = new MemoryVfs();
      const db = await DB.open('/db', { vfs });
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
