/**
 * Goal: prove `flushOnClose` (default on): a clean close writes the memtable to a page file,
 * so the next open has no WAL records to replay; when it is off, or the flush fails, the
 * writes stay in the (synced) WAL and the next open replays them.
 *
 * Strategy: `MemoryVfs`; the WAL's bytes on disk after close tell whether the memtable was
 * flushed (a segment that holds only its header is under 100 bytes), and a reopen checks
 * that exactly the acknowledged writes are there.
 */
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import { key, putAll, reopenAndCheck, value } from './support/acked-writes.js';
import type { Acked } from './support/acked-writes.js';
import { recordErrors } from './support/background-errors.js';
import { armWhen, pageFile } from './support/fault-arming.js';

/** Bytes in every WAL segment of `/db`. */
async function walBytes(vfs: MemoryVfs): Promise<number> {
  let total = 0;
  for (const name of await vfs.list('/db')) {
    if (name.endsWith('.log')) total += (await vfs.stat(`/db/${name}`))?.sizeBytes ?? 0;
  }
  return total;
}

const HEADER_ONLY_BYTES_MAX = 100;

describe('flushOnClose', () => {
  it('is on by default: close writes the memtable to a page file and leaves no WAL records', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    const acked: Acked = new Map();
    await putAll(db, acked, 0, 200, 'closed');
    expect(db.stats().levels[0]?.files).toBe(0);
    await db.close();
    expect(await walBytes(vfs)).toBeLessThan(HEADER_ONLY_BYTES_MAX);
    const reopened = await reopenAndCheck(vfs, acked);
    expect(reopened.stats().levels[0]?.files).toBe(1);
    await reopened.close();
  });

  it('also flushes writes still in flight when close() is called', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    const acked: Acked = new Map();
    const writes = Array.from({ length: 50 }, (_, i) => db.put(key(i), value(i, 'in flight')));
    const closed = db.close();
    await Promise.all(writes);
    for (let i = 0; i < 50; i++) acked.set(key(i), value(i, 'in flight'));
    await closed;
    expect(await walBytes(vfs)).toBeLessThan(HEADER_ONLY_BYTES_MAX);
    await (await reopenAndCheck(vfs, acked)).close();
  });

  it('when off, leaves the writes in the WAL, and the next open replays them', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, flushOnClose: false });
    const acked: Acked = new Map();
    await putAll(db, acked, 0, 200, 'kept in wal');
    await db.close();
    expect(await walBytes(vfs)).toBeGreaterThan(200 * 80);
    await (await reopenAndCheck(vfs, acked)).close();
  });

  it('closes anyway when the flush hits ENOSPC, with the writes in the WAL for the next open', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    const errors = recordErrors(db);
    const acked: Acked = new Map();
    await putAll(db, acked, 0, 200, 'full disk');
    const fault = armWhen(vfs, pageFile('create'), { kind: 'write', nth: 1, error: 'ENOSPC', persistent: true });
    await db.close();
    expect(fault.armed).toBe(true);
    expect(errors.map((error) => error.code)).toContain('NO_SPACE');
    expect(db.isOpen).toBe(false);
    expect(await walBytes(vfs)).toBeGreaterThan(200 * 80);
    vfs.clearFaults();
    await (await reopenAndCheck(vfs, acked)).close();
  });

  it('refuses a flushOnClose that is not a boolean', async () => {
    await expect(DB.open('/db', { vfs: new MemoryVfs(), flushOnClose: 'yes' as unknown as boolean })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
