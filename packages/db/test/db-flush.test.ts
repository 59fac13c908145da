import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB, IMMUTABLE_MEMTABLES_MAX } from '../src/index.js';
import type { KvErrorCode } from '../src/index.js';
import { collect } from './support/sorted-model.js';
import { stallingVfs } from './support/stalling-vfs.js';

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));
const key = (i: number): string => `key${String(i).padStart(6, '0')}`;

async function expectCode(promise: Promise<unknown>, code: KvErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'KvError', code });
}

async function fill(db: DB, count: number, valueOf: (i: number) => string = (i) => `value ${i}`): Promise<void> {
  for (let i = 0; i < count; i += 50) {
    const ops = [];
    for (let j = i; j < Math.min(count, i + 50); j++) ops.push({ type: 'put' as const, key: key(j), value: valueOf(j) });
    await db.write(ops);
  }
}

describe('flush to level-0 page files', () => {
  it('holds more data than the memtable and reads it back from page files, before and after reopen', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 16 * 1024 });
    await fill(db, 3000);
    await db.delete(key(7));
    await db.flush();
    const stats = db.stats();
    expect(stats.flushes.count).toBeGreaterThan(3);
    expect(stats.levels.reduce((sum, level) => sum + level.files, 0)).toBeGreaterThan(0);
    expect(stats.memtables.immutableCount).toBe(0);
    expect(text(await db.get(key(2999)))).toBe('value 2999');
    expect(await db.get(key(7))).toBeUndefined();
    expect((await collect(db.iterator())).length).toBe(2999);
    expect((await collect(db.iterator({ reverse: true, limit: 3 }))).map(([k]) => text(k))).toEqual([key(2999), key(2998), key(2997)]);
    await db.close();
    const again = await DB.open('/db', { vfs, memtableSize: 16 * 1024 });
    expect(text(await again.get(key(1234)))).toBe('value 1234');
    expect(await again.get(key(7))).toBeUndefined();
    expect((await collect(again.iterator({ gte: key(100), lt: key(200) }))).length).toBe(100);
    await again.close();
  });

  it('deletes flushed WAL segments and leaves only live files', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 8 * 1024 });
    await fill(db, 1000);
    await db.flush();
    const names = await vfs.list('/db');
    expect(names.filter((n) => n.endsWith('.log'))).toHaveLength(1);
    expect(names).toContain('CURRENT');
    expect(names.filter((n) => n.startsWith('MANIFEST-'))).toHaveLength(1);
    await db.close();
    const liveFiles = (await vfs.list('/db')).filter((n) => n.endsWith('.sst')).length;
    const again = await DB.open('/db', { vfs });
    expect(liveFiles).toBe(again.stats().levels.reduce((sum, level) => sum + level.files, 0));
    await again.close();
    return;
    await db.close();
  });

  it('removes orphaned page files and temporary files on open', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('k', 'v');
    await db.close();
    for (const name of ['999999.sst', 'CURRENT.tmp', '000042.dbtmp']) {
      const file = await vfs.open(`/db/${name}`, { create: true });
      await file.write({ data: Uint8Array.of(1, 2, 3), position: 0 });
      await file.close();
    }
    const again = await DB.open('/db', { vfs });
    const names = await vfs.list('/db');
    expect(names).not.toContain('999999.sst');
    expect(names).not.toContain('CURRENT.tmp');
    expect(names).not.toContain('000042.dbtmp');
    expect(text(await again.get('k'))).toBe('v');
    await again.close();
  });

  it('refuses to start over when CURRENT is gone but page files remain', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 4096 });
    await fill(db, 200);
    await db.flush();
    await db.close();
    await vfs.unlink('/db/CURRENT');
    await expectCode(DB.open('/db', { vfs }), 'CORRUPTION');
    // The failed open released the directory.
    await (await vfs.lock('/db/LOCK')).release();
  });

  it('reports a missing page file as CORRUPTION naming it, and releases the lock', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 4096 });
    await fill(db, 200);
    await db.flush();
    await db.close();
    const table = (await vfs.list('/db')).find((name) => name.endsWith('.sst')) ?? '';
    await vfs.unlink(`/db/${table}`);
    await expect(DB.open('/db', { vfs })).rejects.toMatchObject({ code: 'CORRUPTION', message: expect.stringContaining(table) });
    await (await vfs.lock('/db/LOCK')).release();
  });

  it('compresses pages with LZ4 when asked and reads them back', async () => {
    const plain = new MemoryVfs();
    const packed = new MemoryVfs();
    const valueOf = (i: number): string => `${'abcdefgh'.repeat(12)}${i}`;
    for (const [vfs, compression] of [[plain, 'none'], [packed, 'lz4']] as const) {
      const db = await DB.open('/db', { vfs, compression, memtableSize: 64 * 1024 });
      await fill(db, 2000, valueOf);
      await db.flush();
      expect(text(await db.get(key(1500)))).toBe(valueOf(1500));
      await db.close();
    }
    const bytes = async (vfs: MemoryVfs): Promise<number> => {
      let total = 0;
      for (const name of await vfs.list('/db')) if (name.endsWith('.sst')) total += (await vfs.stat(`/db/${name}`))?.sizeBytes ?? 0;
      return total;
    };
    expect(await bytes(packed)).toBeLessThan((await bytes(plain)) * 0.75);
  });

  it('counts cache hits and misses', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 8 * 1024 });
    await fill(db, 500);
    await db.flush();
    const before = db.stats().cache;
    await db.get(key(10));
    await db.get(key(10));
    const after = db.stats().cache;
    expect(after.misses + after.hits).toBeGreaterThan(before.misses + before.hits);
    expect(after.hits).toBeGreaterThan(before.hits);
    await db.close();
  });
});

describe('strict fixed-width mode and creation settings', () => {
  it('stores exact widths, rejects others and remembers the mode', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, keySize: 4, valueSize: 3, memtableSize: 4096 });
    for (let i = 0; i < 300; i++) await db.put(String(1000 + i), String(100 + (i % 900)));
    await db.delete('1000');
    await expectCode(db.put('12345', 'abc'), 'INVALID_ARGUMENT');
    await expectCode(db.put('1234', 'ab'), 'INVALID_ARGUMENT');
    await expectCode(db.write([{ type: 'put', key: '1234', value: 'abc' }, { type: 'del', key: 'xy' }]), 'INVALID_ARGUMENT');
    await db.flush();
    await db.close();
    const again = await DB.open('/db', { vfs });
    expect(text(await again.get('1299'))).toBe(String(100 + 299));
    expect(await again.get('1000')).toBeUndefined();
    await expectCode(again.put('123', 'abc'), 'INVALID_ARGUMENT');
    await again.close();
    await expectCode(DB.open('/db', { vfs, keySize: 8, valueSize: 3 }), 'INVALID_ARGUMENT');
    await expectCode(DB.open('/db', { vfs, keySize: 4 } as never), 'INVALID_ARGUMENT');
  });

  it('keeps the page size chosen at creation', async () => {
    const vfs = new MemoryVfs();
    await (await DB.open('/db', { vfs, pageSize: 8192 })).close();
    await expectCode(DB.open('/db', { vfs, pageSize: 4096 }), 'INVALID_ARGUMENT');
    await (await DB.open('/db', { vfs, pageSize: 8192 })).close();
    await expectCode(DB.open('/other', { vfs, pageSize: 3000 }), 'INVALID_ARGUMENT');
  });

  it('rejects a memory budget too small for the sizes given', async () => {
    const vfs = new MemoryVfs();
    await expectCode(DB.open('/db', { vfs, memoryBudget: 1024 * 1024, memtableSize: 1024 * 1024 }), 'INVALID_ARGUMENT');
    await expectCode(DB.open('/db', { vfs, memoryBudget: 4 * 1024 * 1024, cacheSize: 8 * 1024 * 1024 }), 'INVALID_ARGUMENT');
    const db = await DB.open('/db', { vfs, memoryBudget: 8 * 1024 * 1024 });
    const stats = db.stats();
    expect(stats.memtables.memtableSizeBytes).toBe(2 * 1024 * 1024);
    // Idle memtables lend their share to the cache: the whole budget, less the empty memtable.
    expect(stats.cache.capacityBytes).toBe(8 * 1024 * 1024 - stats.memtables.activeBytes);
    await db.close();
  });

  it('lends memtable memory not in use to the cache and takes it back as memtables fill', async () => {
    const vfs = new MemoryVfs();
    const budget = 8 * 1024 * 1024;
    const db = await DB.open('/db', { vfs, memoryBudget: budget });
    const capacity = (): number => db.stats().cache.capacityBytes;
    expect(capacity()).toBe(budget);
    await db.write(Array.from({ length: 1000 }, (_, i) => ({ type: 'put' as const, key: `k${i}`, value: 'v'.repeat(500) })));
    const inUse = db.stats().memtables.activeBytes;
    expect(inUse).toBeGreaterThan(500_000);
    expect(capacity()).toBe(budget - inUse);
    expect(db.stats().cache.usageBytes).toBeLessThanOrEqual(capacity());
    await db.flush();
    expect(capacity()).toBe(budget);
    await db.close();
    const fixed = await DB.open('/fixed', { vfs, memoryBudget: budget, cacheSize: 1024 * 1024 });
    expect(fixed.stats().cache.capacityBytes).toBe(1024 * 1024);
    await fixed.close();
  });
});

describe('backpressure', () => {
  it('makes writers wait while flushes are behind, with memtable memory bounded, then resumes', async () => {
    const { vfs, release } = stallingVfs(new MemoryVfs());
    const memtableSize = 8 * 1024;
    const db = await DB.open('/db', { vfs, memtableSize });
    let acknowledged = 0;
    const writes: Promise<void>[] = [];
    for (let i = 0; i < 400; i++) writes.push(db.put(key(i), 'x'.repeat(100)).then(() => void acknowledged++));
    // Wait (bounded) until the write path has met the stuck flush.
    for (let i = 0; i < 400 && db.stats().stalls.count === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    const stats = db.stats();
    expect(stats.stalls.count).toBe(1);
    expect(acknowledged).toBeLessThan(400);
    expect(stats.memtables.immutableCount).toBe(IMMUTABLE_MEMTABLES_MAX);
    expect(stats.memtables.activeBytes).toBeLessThanOrEqual(memtableSize * 1.5 + 1024);
    expect(stats.stalls.slowdowns).toBeGreaterThan(0);
    release();
    await Promise.all(writes);
    expect(text(await db.get(key(399)))).toBe('x'.repeat(100));
    await db.flush();
    expect(db.stats().stalls.totalMs).toBeGreaterThan(0);
    await db.close();
  });
});

describe('flush interval', () => {
  it('flushes a memtable that held writes for a whole interval, deleting its WAL segment', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, flushIntervalMs: 10 });
    await db.put('slow', 'writer');
    for (let i = 0; i < 400 && db.stats().flushes.count === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(db.stats().flushes.count).toBe(1);
    expect((await vfs.list('/db')).filter((name) => name.endsWith('.log'))).toHaveLength(1);
    expect(text(await db.get('slow'))).toBe('writer');
    await db.close();
    await expect(DB.open('/x', { vfs, flushIntervalMs: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});
