/**
 * Goal: prove what the running database does when the disk fills up under a compaction (rows
 * of docs/failures.md): ENOSPC on the output of `compactRange()`, of a background compaction,
 * and of the compaction that writers at the level-0 stop trigger wait on.
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
import { level0Files, pageFiles, totalFiles } from './support/page-file-counts.js';
import { waitFor } from './support/wait-for.js';

describe('ENOSPC: the disk fills up', () => {
  it('fails compactRange() with NO_SPACE when compaction output hits ENOSPC, stays readable, and compacts once space returns', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...NO_BACKGROUND_COMPACTION });
    const acked: Acked = new Map();
    await putAll(db, acked, 0, 40, 'first');
    await db.flush();
    await putAll(db, acked, 20, 60, 'second');
    await db.flush();
    expect(level0Files(db)).toBe(2);

    vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC', persistent: true });
    const failure = await expectFailure(db.compactRange(), 'NO_SPACE');
    expect((failure as Error).message).toMatch(/\.sst/);
    expect(db.isOpen).toBe(true);
    expect(level0Files(db)).toBe(2);
    await expectExactly(db, acked);
    expect(await pageFiles(vfs)).toHaveLength(2);

    vfs.clearFaults();
    await db.compactRange();
    expect(level0Files(db)).toBe(0);
    expect(totalFiles(db)).toBe(1);
    await putAll(db, acked, 60, 80, 'after');
    await expectExactly(db, acked);
    await db.close();
    await (await reopenAndCheck(vfs, acked)).close();
  });

  it('reports a background compaction that hits ENOSPC as { job: compaction, willRetry: true }, counts it, and retries until space returns', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, compaction: { level0CompactionTrigger: 2 } });
    const errors = recordErrors(db);
    const acked: Acked = new Map();
    // The first two page files come from flushes; with a trigger of 2 the third is the
    // compaction's output.
    let created = 0;
    const fault = armWhen(vfs, (operation) => pageFile('create')(operation) && ++created === 3, { kind: 'write', nth: 1, error: 'ENOSPC', persistent: true });
    await putAll(db, acked, 0, 40, 'first');
    await db.flush();
    await putAll(db, acked, 20, 60, 'second');
    await db.flush();
    await waitFor('the compaction to fail', () => errors.length > 0);
    expect(fault.armed).toBe(true);
    expect(errors[0]).toMatchObject({ code: 'NO_SPACE', info: { job: 'compaction', willRetry: true } });
    expect(db.stats().compactions.failures).toBeGreaterThanOrEqual(1);
    expect(db.stats().compactions.count).toBe(0);
    expect(db.isOpen).toBe(true);
    await expectExactly(db, acked);
    // The disk is full for everyone: a write fails too, and the database stays open.
    await expectFailure(db.put(key(999), 'lost'), 'NO_SPACE');
    await waitFor('a retried compaction to fail', () => db.stats().compactions.failures >= 2);

    vfs.clearFaults();
    await waitFor('the retried compaction to succeed', () => db.stats().compactions.count >= 1);
    // After running out of space the retry takes only the oldest level-0 file (it needs less
    // free space), which is enough to bring level 0 under its trigger.
    await waitFor('level 0 to drop under its trigger', () => level0Files(db) < 2);
    await putAll(db, acked, 60, 80, 'after');
    await expectExactly(db, acked);
    await db.close();
    await (await reopenAndCheck(vfs, acked)).close();
  });

  it('fails writers waiting at the level-0 stop trigger with NO_SPACE when compaction cannot write, and lets them resume when space returns', async () => {
    // The output's fsync fails, so WAL appends still succeed: the write fails only because the
    // compaction it waits on does.
    const vfs = new MemoryVfs();
    const policy = { level0CompactionTrigger: 2, level0SlowdownTrigger: 2, level0StopTrigger: 2 };
    // Each entry costs about 580 memtable bytes: 10 fit in one memtable, so only flush() switches.
    const db = await DB.open('/db', { vfs, memtableSize: 16 * 1024, compaction: policy });
    const errors = recordErrors(db);
    const acked: Acked = new Map();
    // A level-1 file under everything, so every level-0 compaction rewrites (a level-0 file
    // with nothing below it would be moved by a manifest edit instead, needing no page file).
    await putAll(db, acked, 0, 10, 'base');
    await db.compactRange();
    let created = 0;
    const fault = armWhen(vfs, (operation) => pageFile('create')(operation) && ++created === 3, { kind: 'sync', nth: 1, error: 'ENOSPC', persistent: true });
    await putAll(db, acked, 0, 10, 'first');
    await db.flush();
    await putAll(db, acked, 10, 20, 'second');
    await db.flush();
    await waitFor('the compaction to fail', () => errors.length > 0);
    expect(fault.armed).toBe(true);
    let failure: unknown;
    let next = 20;
    for (; next < 2000 && failure === undefined; next++) {
      await db.put(key(next), value(next, 'waiting')).then(
        () => acked.set(key(next), value(next, 'waiting')),
        (error: unknown) => (failure = error),
      );
    }
    expect(failure).toMatchObject({ name: 'KvError', code: 'NO_SPACE' });
    expect(errors.every((error) => error.info.job === 'compaction' && error.info.willRetry && error.code === 'NO_SPACE')).toBe(true);
    expect(db.isOpen).toBe(true);
    await expectExactly(db, acked);

    vfs.clearFaults();
    await putAll(db, acked, next, next + 100, 'resumed');
    expect(db.stats().compactions.count).toBeGreaterThanOrEqual(1);
    await expectExactly(db, acked);
    await db.close();
    await (await reopenAndCheck(vfs, acked)).close();
  });
});
