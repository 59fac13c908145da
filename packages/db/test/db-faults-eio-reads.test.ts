/**
 * Goal: prove what the running database does when a page read fails with EIO (rows of
 * docs/failures.md): only the reads that hit the fault fail, and reads work again without a
 * reopen once the device answers.
 *
 * Strategy: `MemoryVfs` fault injection on the reads of a database whose data sits in one
 * page file, with the block cache off.
 *
 * Invariants checked in every test: the failing call (or the write waiting on the failing
 * background job, or `flush()` / `compactRange()`) gets the documented code; the database
 * stays open; gets and a full iteration return exactly the acknowledged writes, before and
 * after close + reopen.
 */
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import { expectExactly, key, putAll, reopenAndCheck, value } from './support/acked-writes.js';
import type { Acked } from './support/acked-writes.js';
import { expectFailure } from './support/kv-error-code.js';
import { NO_BACKGROUND_COMPACTION } from './support/no-background-compaction.js';
import { level0Files } from './support/page-file-counts.js';
import { text } from './support/utf8.js';

describe('EIO on a read', () => {
  /** A database whose data sits in one page file, read from the file on every get (no cache). */
  async function flushedDb(vfs: MemoryVfs, acked: Acked): Promise<DB> {
    const db = await DB.open('/db', { vfs, cacheSize: 0, ...NO_BACKGROUND_COMPACTION });
    await putAll(db, acked, 0, 100, 'paged');
    await db.flush();
    expect(level0Files(db)).toBe(1);
    return db;
  }

  it('fails only the read that hit EIO with IO_ERROR; the next read succeeds and the database stays open', async () => {
    const vfs = new MemoryVfs();
    const acked: Acked = new Map();
    const db = await flushedDb(vfs, acked);

    vfs.failOperation({ kind: 'read', nth: 1, error: 'EIO' });
    const failure = await expectFailure(db.get(key(42)), 'IO_ERROR');
    expect(failure).toMatchObject({ osCode: 'EIO' });
    expect(text(await db.get(key(42)))).toBe(value(42, 'paged'));

    vfs.failOperation({ kind: 'read', nth: 1, error: 'EIO' });
    const iterator = db.iterator();
    await expectFailure(iterator.next(), 'IO_ERROR');
    await iterator.close();
    expect(db.isOpen).toBe(true);
    await expectExactly(db, acked);
    await db.put(key(500), 'written after the failed reads');
    acked.set(key(500), 'written after the failed reads');
    await expectExactly(db, acked);
    await db.close();
    await (await reopenAndCheck(vfs, acked)).close();
  });

  it('fails every read with IO_ERROR while EIO persists, and reads again once it is cleared, without reopening', async () => {
    const vfs = new MemoryVfs();
    const acked: Acked = new Map();
    const db = await flushedDb(vfs, acked);

    vfs.failOperation({ kind: 'read', nth: 1, error: 'EIO', persistent: true });
    await expectFailure(db.get(key(1)), 'IO_ERROR');
    await expectFailure(db.get(key(99)), 'IO_ERROR');
    await expectFailure(db.getMany([key(2), key(3)]), 'IO_ERROR');
    // Writes do not read page files: they go on.
    await db.put(key(7), 'in the memtable');
    acked.set(key(7), 'in the memtable');
    expect(text(await db.get(key(7)))).toBe('in the memtable');
    expect(db.isOpen).toBe(true);

    vfs.clearFaults();
    await expectExactly(db, acked);
    await db.close();
    await (await reopenAndCheck(vfs, acked)).close();
  });
});
