/**
 * Goal: prove what the running database does when it finds a damaged page (rows of
 * docs/failures.md): a read fails with CORRUPTION naming the file while the database stays
 * open, a background compaction stops for good, and `DB.repair` moves the file to lost/.
 *
 * Strategy: a bit flipped in the first data page of a flushed page file on a `MemoryVfs`,
 * with the block cache off.
 *
 * Invariants: the failing call gets CORRUPTION; the database stays open and serves every
 * other read and write; after `DB.repair` the writes outside the damaged file are there.
 */
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import { key, putAll, value } from './support/acked-writes.js';
import type { Acked } from './support/acked-writes.js';
import { recordErrors } from './support/background-errors.js';
import { damageFile } from './support/damage.js';
import { expectFailure } from './support/kv-error-code.js';
import { NO_BACKGROUND_COMPACTION } from './support/no-background-compaction.js';
import { pageFiles } from './support/page-file-counts.js';
import { text } from './support/utf8.js';
import { waitFor } from './support/wait-for.js';

describe('a damaged page found while the database is open', () => {
  it('fails only reads of the damaged page with CORRUPTION naming the file, stays open, and DB.repair moves the file to lost/', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, cacheSize: 0, ...NO_BACKGROUND_COMPACTION });
    const acked: Acked = new Map();
    await putAll(db, acked, 0, 100, 'paged');
    await db.flush();
    const [table] = await pageFiles(vfs);
    expect(table).toBeDefined();
    // Data page 0 starts the file and holds the smallest keys.
    await damageFile(vfs, `/db/${table}`, { kind: 'flip', flips: [{ offset: 100, bit: 3 }] });

    const failure = await expectFailure(db.get(key(0)), 'CORRUPTION');
    expect((failure as Error).message).toContain(table);
    await expectFailure(db.get(key(0)), 'CORRUPTION');
    expect(text(await db.get(key(99)))).toBe(value(99, 'paged'));
    await db.put(key(500), 'written after the damage');
    expect(text(await db.get(key(500)))).toBe('written after the damage');
    expect(db.isOpen).toBe(true);
    expect((await db.verify()).damaged.map((damaged) => damaged.code)).toEqual(['CORRUPTION']);
    await db.close();

    const report = await DB.repair('/db', { vfs });
    expect(report.tablesLost.map((lost) => lost.name)).toEqual([table]);
    const repaired = await DB.open('/db', { vfs });
    expect(text(await repaired.get(key(500)))).toBe('written after the damage');
    await repaired.close();
  });
});

describe('a damaged page found by a background compaction', () => {
  it('stops compaction for good with CORRUPTION ({ willRetry: false }), keeps serving reads and writes, and DB.repair recovers', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, cacheSize: 0, compaction: { level0CompactionTrigger: 2 } });
    const errors = recordErrors(db);
    const acked: Acked = new Map();
    await putAll(db, acked, 0, 50, 'first');
    await db.flush();
    const [damaged] = await pageFiles(vfs);
    expect(damaged).toBeDefined();
    await damageFile(vfs, `/db/${damaged}`, { kind: 'flip', flips: [{ offset: 100, bit: 3 }] });
    // Key 0 again: the second file overlaps the first, so the compaction reads both.
    await putAll(db, acked, 0, 1, 'again');
    await putAll(db, acked, 50, 99, 'second');
    await db.flush();
    await waitFor('the compaction to fail', () => errors.length > 0);
    expect(errors[0]).toMatchObject({ code: 'CORRUPTION', info: { job: 'compaction', willRetry: false } });
    expect(errors[0]?.message).toContain(damaged);
    // Not retried: retrying cannot cure damage.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(db.stats().compactions.failures).toBe(1);
    await expectFailure(db.compactRange(), 'CORRUPTION');
    expect(db.isOpen).toBe(true);
    expect(text(await db.get(key(75)))).toBe(value(75, 'second'));
    await db.put(key(500), 'written after the damage');
    await db.close();

    const report = await DB.repair('/db', { vfs });
    expect(report.tablesLost.map((lost) => lost.name)).toEqual([damaged]);
    const repaired = await DB.open('/db', { vfs });
    expect(text(await repaired.get(key(75)))).toBe(value(75, 'second'));
    expect(text(await repaired.get(key(500)))).toBe('written after the damage');
    await repaired.close();
  });
});
