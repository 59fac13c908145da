import { describe, expect, it } from 'vitest';
import { NoSpaceError } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import type { Vfs } from '@kv/vfs';
import { Manifest, readManifest } from '@kv/manifest';
import { DB } from '../src/index.js';

// Named regressions for defects found by review; each reproduced before its fix.
const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

/** A Vfs on which every page file creation fails with ENOSPC (the disk is full for flushes). */
function pageFilesFail(inner: MemoryVfs): Vfs {
  const vfs: Vfs = Object.create(inner) as Vfs;
  vfs.open = async (path, options) => {
    if (path.endsWith('.sst') && options?.create === true) throw new NoSpaceError(`create ${path}`);
    return inner.open(path, options);
  };
  return vfs;
}

describe('review regressions', () => {
  it('applies unawaited writes in call order even when a burst hits the memtable hard limit', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs(), memtableSize: 4096 });
    for (let round = 0; round < 3; round++) {
      const writes = Array.from({ length: 60 }, (_, i) => db.put('same', `r${round}w${i}`));
      await Promise.all(writes);
      expect(text(await db.get('same'))).toBe(`r${round}w59`);
    }
    await db.close();
  });

  it('fails writes with NO_SPACE instead of hanging while flushes cannot run, stays readable, and closes', async () => {
    const inner = new MemoryVfs();
    const db = await DB.open('/db', { vfs: pageFilesFail(inner), memtableSize: 4096 });
    let failure: unknown;
    for (let i = 0; i < 500 && failure === undefined; i++) {
      await db.put(`k${i}`, 'x'.repeat(100)).catch((error: unknown) => (failure = error));
    }
    expect(failure).toMatchObject({ code: 'NO_SPACE' });
    expect(text(await db.get('k0'))).toBe('x'.repeat(100));
    await db.close();
    expect((await inner.list('/db')).filter((name) => name.endsWith('.sst'))).toEqual([]);
    const again = await DB.open('/db', { vfs: inner });
    expect(text(await again.get('k0'))).toBe('x'.repeat(100));
    await again.close();
  });

  it('turns read-only with IO_ERROR after a failed WAL sync, keeps reads, closes, and recovers on reopen', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('before', '1', { sync: true });
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO' });
    await expect(db.put('during', '2', { sync: true })).rejects.toMatchObject({ code: 'IO_ERROR' });
    await expect(db.put('after', '3')).rejects.toMatchObject({ code: 'IO_ERROR', message: expect.stringContaining('read-only until reopened') });
    expect(text(await db.get('before'))).toBe('1');
    await db.close();
    const again = await DB.open('/db', { vfs });
    expect(text(await again.get('before'))).toBe('1');
    await again.put('after', '3');
    await again.close();
  });

  it('finishes a switch started by writes in flight when close begins', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 4096 });
    const writes = Array.from({ length: 40 }, (_, i) => db.put(`k${i}`, 'x'.repeat(100)));
    await db.close();
    await Promise.all(writes);
    const again = await DB.open('/db', { vfs });
    for (let i = 0; i < 40; i++) expect(text(await again.get(`k${i}`))).toBe('x'.repeat(100));
    await again.close();
  });

  it('rejects errorIfExists without touching the manifest', async () => {
    const vfs = new MemoryVfs();
    await (await DB.open('/db', { vfs })).close();
    const before = await vfs.list('/db');
    await expect(DB.open('/db', { vfs, errorIfExists: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await vfs.list('/db')).toEqual(before);
    await (await vfs.lock('/db/LOCK')).release();
  });
});

describe('second review regressions', () => {
  const small = { memtableSize: 4096, pageSize: 1024, compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 8192, targetFileSizeBytes: 4096 } };
  // Scattered, so flushed files overlap and compactions read them (sequential keys would be moved).
  const key = (i: number): string => `key${String((i * 7919) % 100_003).padStart(6, '0')}`;

  it('runs concurrent compactRange calls and background compaction one job at a time', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs(), ...small });
    for (let round = 0; round < 5; round++) {
      const writes = (async () => {
        for (let i = 0; i < 200; i++) await db.put(key((i * 7 + round) % 300), `r${round}i${i}`);
      })();
      await Promise.all([db.compactRange(), db.compactRange(key(10), key(90)), writes]);
    }
    expect(db.stats().compactions.failures).toBe(0);
    for (let i = 0; i < 200; i++) expect(text(await db.get(key((i * 7 + 4) % 300)))).toBeDefined();
    await db.close();
  });

  it('close waits for a compactRange in progress', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, ...small });
    for (let i = 0; i < 500; i++) await db.put(key(i % 300), 'x'.repeat(30));
    const compaction = db.compactRange().catch((error: unknown) => error);
    await db.close();
    const outcome = await compaction;
    expect(outcome === undefined || (outcome as { code?: string }).code === 'NOT_OPEN').toBe(true);
    const names = await vfs.list('/db');
    const again = await DB.open('/db', { vfs, ...small });
    expect(text(await again.get(key(299)))).toBe('x'.repeat(30));
    await again.close();
    expect(names).not.toContain('LOCK.held-by-a-closed-instance');
  });

  it('fails writers waiting at the level-0 stop trigger when compaction cannot write', async () => {
    const inner = new MemoryVfs();
    const vfs: Vfs = Object.create(inner) as Vfs;
    // Compaction reads its inputs by opening existing page files; installing a flush opens
    // only the newest one. So failing opens of older page files fails compactions alone.
    let compactionsFail = false;
    let newest = 0;
    vfs.open = async (path, options) => {
      const number = path.endsWith('.sst') ? Number(path.slice(-10, -4)) : 0;
      if (options?.create === true) newest = Math.max(newest, number);
      else if (compactionsFail && number > 0 && number < newest) throw new NoSpaceError(`open ${path}`);
      return inner.open(path, options);
    };
    const db = await DB.open('/db', { vfs, memtableSize: 4096, compaction: { level0CompactionTrigger: 2, level0SlowdownTrigger: 2, level0StopTrigger: 3 } });
    compactionsFail = true;
    let failure: unknown;
    for (let i = 0; i < 3000 && failure === undefined; i++) await db.put(key(i), 'y'.repeat(100)).catch((error: unknown) => (failure = error));
    expect(failure).toMatchObject({ name: 'KvError' });
    compactionsFail = false;
    await db.close();
  });
});

describe('open overlap review regressions', () => {
  /** A database with 20 synced puts, as a process kill left it (the writes only in the WAL). */
  async function killedWithWrites(): Promise<MemoryVfs> {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    for (let i = 0; i < 20; i++) await db.put(`k${i}`, `v${i}`, { sync: true });
    const image = vfs.crashImage({ mode: 'process-kill' });
    await db.close();
    return image;
  }

  const segmentFaults = [
    { kind: 'open', nth: 1, error: 'ENOSPC', pathSuffix: '.log' },
    { kind: 'write', nth: 1, error: 'ENOSPC', pathSuffix: '.log' },
    { kind: 'sync', nth: 1, error: 'EIO', pathSuffix: '.log' },
    { kind: 'syncDir', nth: 1, error: 'EIO' },
  ] as const;

  for (const fault of segmentFaults) {
    it(`fails the open cleanly when the new WAL segment hits ${fault.error} on ${fault.kind} while the old one is replayed, and the next open keeps every write`, async () => {
      const vfs = await killedWithWrites();
      vfs.failOperation(fault);
      const failure = await DB.open('/db', { vfs }).then(async (db) => {
        await db.close();
        return undefined;
      }, (error: unknown) => error);
      vfs.clearFaults();
      expect(failure).toMatchObject({ code: fault.error === 'ENOSPC' ? 'NO_SPACE' : 'IO_ERROR' });
      const reopened = await DB.open('/db', { vfs });
      for (let i = 0; i < 20; i++) expect(new TextDecoder().decode(await reopened.get(`k${i}`))).toBe(`v${i}`);
      await reopened.close();
    });
  }

  it('reports the replay\'s CORRUPTION when the new segment fails too, and leaves no unhandled rejection', async () => {
    const vfs = await killedWithWrites();
    const log = (await vfs.list('/db')).find((name) => name.endsWith('.log')) ?? '';
    const file = await vfs.open(`/db/${log}`, { write: true });
    await file.write({ data: new Uint8Array([0xff, 0xff, 0xff]), position: 40 });
    await file.close();
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown): void => {
      unhandled.push(reason);
    };
    process.on('unhandledRejection', onUnhandled);
    try {
      vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC', pathSuffix: '.log', persistent: true });
      await expect(DB.open('/db', { vfs, walRecoveryMode: 'absoluteConsistency' })).rejects.toMatchObject({ code: 'CORRUPTION' });
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
      vfs.clearFaults();
    }
  });

  it('opens a never-opened manifest again after a failed open left its new, empty WAL segment', async () => {
    // A manifest of one record naming a logNumber whose segment never existed (what a
    // checkpoint or repair of an older build wrote) opens without a WAL. The new segment is
    // created while the old ones are replayed, so a failure after it (here an EIO on the
    // directory listing of the unnamed-table check) leaves it behind; the next open must not
    // take it as a WAL the manifest lost and fail with CORRUPTION. The failed open reused the
    // manifest and wrote no edit to it, so it still holds one edit (and close markers).
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    for (let i = 0; i < 20; i++) await db.put(`k${i}`, `v${i}`);
    await db.close();
    const { version } = (await readManifest(vfs, '/db')) ?? { version: undefined };
    if (version === undefined) throw new Error('no manifest');
    for (const name of await vfs.list('/db')) if (name.endsWith('.log') || name.startsWith('MANIFEST') || name === 'CURRENT') await vfs.unlink(`/db/${name}`);
    const manifestNumber = version.nextFileNumber + 5;
    await (await Manifest.create(vfs, '/db', { manifestNumber, version: version.apply({ logNumber: version.nextFileNumber + 2, nextFileNumber: manifestNumber + 1 }) })).close();
    let armed = false;
    const stop = vfs.onOperation((op) => {
      if (!armed && op.kind === 'create' && op.path.endsWith('.log')) {
        armed = true;
        vfs.failOperation({ kind: 'list', nth: 1, error: 'EIO' });
      }
    });
    await expect(DB.open('/db', { vfs })).rejects.toMatchObject({ code: 'IO_ERROR' });
    stop();
    vfs.clearFaults();
    expect((await vfs.list('/db')).filter((name) => name.endsWith('.log')).length).toBe(1);
    expect((await readManifest(vfs, '/db'))?.editCount).toBe(1);
    const reopened = await DB.open('/db', { vfs });
    expect(new TextDecoder().decode(await reopened.get('k3'))).toBe('v3');
    await reopened.close();
  });
});
