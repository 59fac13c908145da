/**
 * Goal: prove what the running database does when the disk fills up on the WAL and flush
 * paths (rows of docs/failures.md): ENOSPC on a WAL append, on the new segment of a memtable
 * switch, on a flush's page file write and sync, under a writer stalled behind that flush,
 * and on the manifest append.
 *
 * Strategy: `MemoryVfs` fault injection, armed at the exact moment the step under test begins
 * (support/fault-arming.ts gives the operation order these tests rely on).
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
import { recordErrors } from './support/background-errors.js';
import { armWhen, pageFile } from './support/fault-arming.js';
import { expectFailure } from './support/kv-error-code.js';
import { NO_BACKGROUND_COMPACTION } from './support/no-background-compaction.js';
import { level0Files, pageFiles } from './support/page-file-counts.js';
import { waitFor } from './support/wait-for.js';

describe('ENOSPC: the disk fills up', () => {
  it('fails a WAL append with NO_SPACE, stays open and readable, and takes writes again when space returns, without reopening', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    const acked: Acked = new Map();
    await putAll(db, acked, 0, 50, 'before');

    vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC', persistent: true });
    await expectFailure(db.put(key(1000), 'lost'), 'NO_SPACE');
    await expectFailure(db.put(key(1001), 'lost', { sync: true }), 'NO_SPACE');
    await expectFailure(db.delete(key(3)), 'NO_SPACE');
    await expectFailure(db.write([{ type: 'put', key: key(1002), value: 'lost' }, { type: 'del', key: key(4) }]), 'NO_SPACE');
    // A group of concurrent writers shares one append: every member fails.
    const group = await Promise.allSettled([db.put(key(1003), 'lost'), db.put(key(1004), 'lost', { sync: true })]);
    expect(group.map((outcome) => (outcome.status === 'rejected' ? (outcome.reason as { code?: string }).code : 'fulfilled'))).toEqual(['NO_SPACE', 'NO_SPACE']);
    expect(db.isOpen).toBe(true);
    await expectExactly(db, acked);

    vfs.clearFaults();
    await putAll(db, acked, 50, 100, 'after');
    await db.put(key(3), 'synced after', { sync: true });
    acked.set(key(3), 'synced after');
    await expectExactly(db, acked);
    await db.close();
    await (await reopenAndCheck(vfs, acked)).close();
  });

  it('fails flush() with NO_SPACE when the new WAL segment of a memtable switch cannot be written, keeps the memtable, and switches once space returns', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...NO_BACKGROUND_COMPACTION });
    const acked: Acked = new Map();
    await putAll(db, acked, 0, 40, 'memtable');
    const segmentBefore = db.stats().wal.segment;
    // The old segment is synced first; then the new one is created and its header written.
    const fault = armWhen(vfs, (operation) => operation.kind === 'create' && operation.path.endsWith('.log'), { kind: 'write', nth: 1, error: 'ENOSPC', persistent: true });
    const failure = await expectFailure(db.flush(), 'NO_SPACE');
    expect(fault.armed).toBe(true);
    expect((failure as Error).message).toMatch(/\.log/);
    expect(db.stats().wal.segment).toBe(segmentBefore);
    expect(db.stats().memtables.immutableCount).toBe(0);
    expect(db.isOpen).toBe(true);
    await expectExactly(db, acked);
    // The half-made segment was removed.
    expect((await vfs.list('/db')).filter((name) => name.endsWith('.log'))).toHaveLength(1);

    vfs.clearFaults();
    await putAll(db, acked, 40, 60, 'after');
    await db.flush();
    expect(db.stats().wal.segment).not.toBe(segmentBefore);
    expect(level0Files(db)).toBe(1);
    await expectExactly(db, acked);
    await db.close();
    await (await reopenAndCheck(vfs, acked)).close();
  });

  it.each(['write', 'sync'] as const)(
    'fails flush() with NO_SPACE when the page file %s hits ENOSPC, retries with backoff, and flushes once space returns',
    async (kind) => {
      const vfs = new MemoryVfs();
      const db = await DB.open('/db', { vfs, ...NO_BACKGROUND_COMPACTION });
      const errors = recordErrors(db);
      const acked: Acked = new Map();
      await putAll(db, acked, 0, 40, 'memtable');

      const fault = armWhen(vfs, pageFile('create'), { kind, nth: 1, error: 'ENOSPC', persistent: true });
      const failure = await expectFailure(db.flush(), 'NO_SPACE');
      expect(fault.armed).toBe(true);
      expect((failure as Error).message).toMatch(/\.sst/);
      expect(db.isOpen).toBe(true);
      expect(db.stats().flushes.failures).toBeGreaterThanOrEqual(1);
      expect(db.stats().flushes.count).toBe(0);
      expect(errors[0]).toMatchObject({ code: 'NO_SPACE', info: { job: 'flush', willRetry: true } });
      // The memtable stays readable while its flush cannot run; the failed page file is removed.
      await expectExactly(db, acked);
      // Retries keep failing while the disk is full (backoff: 50 ms, then 100 ms, ...).
      await waitFor('a retried flush to fail', () => db.stats().flushes.failures >= 2);
      expect(errors.every((error) => error.info.willRetry)).toBe(true);

      vfs.clearFaults();
      await db.flush();
      expect(db.stats().flushes.count).toBe(1);
      expect(level0Files(db)).toBe(1);
      expect(await pageFiles(vfs)).toHaveLength(1);
      await putAll(db, acked, 40, 80, 'after');
      await expectExactly(db, acked);
      await db.close();
      await (await reopenAndCheck(vfs, acked)).close();
    },
  );

  it('fails a writer stalled behind a flush that hits ENOSPC with NO_SPACE, and lets writes resume when space returns, without reopening', async () => {
    // The page file's fsync fails (a full thin-provisioned or network volume does this), so
    // WAL appends still succeed and the only thing that can fail a write is the flush it waits on.
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 4096, ...NO_BACKGROUND_COMPACTION });
    const errors = recordErrors(db);
    const acked: Acked = new Map();
    const fault = armWhen(vfs, pageFile('create'), { kind: 'sync', nth: 1, error: 'ENOSPC', persistent: true, pathSuffix: '.sst' });
    let failure: unknown;
    let next = 0;
    for (; next < 2000 && failure === undefined; next++) {
      await db.put(key(next), value(next, 'stalled')).then(
        () => acked.set(key(next), value(next, 'stalled')),
        (error: unknown) => (failure = error),
      );
    }
    expect(fault.armed).toBe(true);
    expect(failure).toMatchObject({ name: 'KvError', code: 'NO_SPACE' });
    expect(db.stats().stalls.count).toBeGreaterThanOrEqual(1);
    expect(errors[0]).toMatchObject({ code: 'NO_SPACE', info: { job: 'flush', willRetry: true } });
    expect(db.isOpen).toBe(true);
    await expectExactly(db, acked);

    vfs.clearFaults();
    const failuresBefore = db.stats().flushes.failures;
    expect(failuresBefore).toBeGreaterThanOrEqual(1);
    await putAll(db, acked, next, next + 200, 'resumed');
    await db.flush();
    expect(db.stats().flushes.count).toBeGreaterThanOrEqual(2);
    await expectExactly(db, acked);
    await db.close();
    await (await reopenAndCheck(vfs, acked)).close();
  });

  it('fails flush() with NO_SPACE when the manifest append hits ENOSPC, keeps the manifest usable, and flushes once space returns', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...NO_BACKGROUND_COMPACTION });
    const errors = recordErrors(db);
    const acked: Acked = new Map();
    await putAll(db, acked, 0, 40, 'memtable');
    // The page file is written and synced; the next write is the manifest edit.
    const fault = armWhen(vfs, pageFile('sync'), { kind: 'write', nth: 1, error: 'ENOSPC', persistent: true });
    const failure = await expectFailure(db.flush(), 'NO_SPACE');
    expect(fault.armed).toBe(true);
    expect((failure as Error).message).toMatch(/MANIFEST-/);
    expect(errors[0]).toMatchObject({ code: 'NO_SPACE', info: { job: 'flush', willRetry: true } });
    expect(db.stats().flushes.failures).toBeGreaterThanOrEqual(1);
    expect(db.isOpen).toBe(true);
    await expectExactly(db, acked);
    // The page file the edit would have recorded is an orphan, removed at once.
    expect(await pageFiles(vfs)).toEqual([]);

    vfs.clearFaults();
    await db.flush();
    expect(level0Files(db)).toBe(1);
    await putAll(db, acked, 40, 80, 'after');
    await db.flush();
    expect(level0Files(db)).toBe(2);
    await expectExactly(db, acked);
    await db.close();
    await (await reopenAndCheck(vfs, acked)).close();
  });
});
