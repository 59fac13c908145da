import { IoError, NoSpaceError } from '@kv/base';
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '../src/index.js';
import type { FaultOperation, MemoryOperation } from '../src/index.js';
import { bytes, readText, rejectionOf, syncBlockingOf, writeText } from './backends.js';

describe('MemoryVfs fault injection', () => {
  it('fails exactly the nth write with EIO, counting from failOperation', async () => {
    const vfs = new MemoryVfs();
    const file = await vfs.open('/f', { create: true });
    await file.write({ data: bytes('a'), position: 0 });
    vfs.failOperation({ kind: 'write', nth: 3, error: 'EIO' });
    await file.write({ data: bytes('b'), position: 1 });
    await file.write({ data: bytes('c'), position: 2 });
    const error = await rejectionOf(file.write({ data: bytes('d'), position: 3 }));
    expect(error).toBeInstanceOf(IoError);
    expect(error).toMatchObject({ code: 'IO_ERROR', osCode: 'EIO' });
    await file.write({ data: bytes('e'), position: 3 });
    expect(await readText(vfs, '/f')).toBe('abce');
  });

  it('fails a write with ENOSPC as NoSpaceError and writes none of its data', async () => {
    const vfs = new MemoryVfs();
    const file = await vfs.open('/f', { create: true });
    vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC' });
    expect(() => file.writeSync({ data: bytes('full'), position: 0 })).toThrow(NoSpaceError);
    expect(await file.size()).toBe(0);
    expect(vfs.operationCount).toBe(1);
  });

  it('a failed sync leaves the durable content unchanged, and a later sync still works', async () => {
    const vfs = new MemoryVfs();
    const file = await vfs.open('/f', { create: true });
    await vfs.syncDir('/');
    await file.write({ data: bytes('data'), position: 0 });
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO' });
    expect(await rejectionOf(file.sync())).toMatchObject({ osCode: 'EIO' });
    expect(await vfs.crashImage().readFile('/f')).toEqual(new Uint8Array(0));
    await file.sync();
    expect(await readText(vfs.crashImage(), '/f')).toBe('data');
  });

  it('a failed sync with loseUnsynced forgets the unsynced changes: readable now, never durable, a later sync succeeds', async () => {
    // Linux after a failed fdatasync: the dirty pages are marked clean without being written.
    const vfs = new MemoryVfs();
    const file = await vfs.open('/f', { create: true });
    await vfs.syncDir('/');
    await file.write({ data: bytes('ab'), position: 0 });
    await file.sync();
    await file.write({ data: bytes('cd'), position: 2 });
    vfs.failOperation({ kind: 'sync', nth: 1, error: 'EIO', loseUnsynced: true });
    await expect(file.sync()).rejects.toMatchObject({ code: 'IO_ERROR', osCode: 'EIO' });
    await file.sync();
    expect(await readText(vfs, '/f')).toBe('abcd');
    expect(await readText(vfs.crashImage({ mode: 'power-loss' }), '/f')).toBe('ab');
    // A later change to the same bytes is durable again once synced.
    await file.write({ data: bytes('CD'), position: 2 });
    await file.sync();
    expect(await readText(vfs.crashImage({ mode: 'power-loss' }), '/f')).toBe('abCD');
  });

  it('a persistent fault fails every matching operation until cleared', async () => {
    const vfs = new MemoryVfs();
    vfs.failOperation({ kind: 'mkdir', nth: 2, error: 'EIO', persistent: true });
    await vfs.mkdir('/a');
    for (const name of ['/b', '/c', '/d']) {
      expect(await rejectionOf(vfs.mkdir(name))).toMatchObject({ osCode: 'EIO' });
    }
    vfs.clearFaults();
    await vfs.mkdir('/b');
    expect(await vfs.list('/')).toEqual(['a', 'b']);
  });

  it('a fault with a pathSuffix counts and fails only operations on matching paths', async () => {
    const vfs = new MemoryVfs();
    const log = await vfs.open('/000001.log', { create: true });
    const table = await vfs.open('/000002.sst', { create: true });
    vfs.failOperation({ kind: 'sync', nth: 2, error: 'ENOSPC', persistent: true, pathSuffix: '.sst' });
    await table.sync();
    for (let i = 0; i < 3; i++) await log.sync();
    expect(await rejectionOf(table.sync())).toBeInstanceOf(NoSpaceError);
    await log.sync();
    vfs.failOperation({ kind: 'rename', nth: 1, error: 'EIO', pathSuffix: '.sst' });
    await vfs.rename('/000001.log', '/000003.log');
    expect(await rejectionOf(vfs.rename('/000003.log', '/000004.sst'))).toMatchObject({ osCode: 'EIO' });
  });

  it("'any' counts every kind of operation", async () => {
    const vfs = new MemoryVfs();
    vfs.failOperation({ kind: 'any', nth: 3, error: 'EIO' });
    await vfs.mkdir('/d');
    await vfs.stat('/d');
    expect(await rejectionOf(vfs.list('/d'))).toMatchObject({ osCode: 'EIO' });
    expect(await vfs.list('/d')).toEqual([]);
  });

  it.each<[FaultOperation, (vfs: MemoryVfs) => Promise<unknown>]>([
    ['open', (vfs) => vfs.open('/d/f')],
    ['read', (vfs) => vfs.readFile('/d/f')],
    ['rename', (vfs) => vfs.rename('/d/f', '/d/g')],
    ['unlink', (vfs) => vfs.unlink('/d/f')],
    ['list', (vfs) => vfs.list('/d')],
    ['stat', (vfs) => vfs.stat('/d/f')],
    ['syncDir', (vfs) => vfs.syncDir('/d')],
    ['rmdir', (vfs) => vfs.rmdir('/e')],
    ['mkdir', (vfs) => vfs.mkdir('/x')],
  ])('injects %s faults and the operation changes nothing', async (kind, run) => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('/d');
    await vfs.mkdir('/e');
    await writeText(vfs, '/d/f', 'content');
    const before = vfs.snapshotFiles();
    const countBefore = vfs.operationCount;
    vfs.failOperation({ kind, nth: 1, error: 'ENOSPC' });
    expect(await rejectionOf(run(vfs))).toBeInstanceOf(NoSpaceError);
    expect(vfs.snapshotFiles()).toEqual(before);
    expect(vfs.operationCount).toBe(countBefore);
    expect(await vfs.list('/')).toEqual(['d', 'e']);
  });

  it('fails a blocking sync like an async one: the nth sync either way, thrown at once', async () => {
    const vfs = new MemoryVfs();
    const file = await vfs.open('/f', { create: true });
    vfs.failOperation({ kind: 'sync', nth: 2, error: 'EIO' });
    syncBlockingOf(file)();
    expect(() => syncBlockingOf(file)()).toThrow(expect.objectContaining({ code: 'IO_ERROR', osCode: 'EIO' }));
    await file.sync();
  });

  it('rejects an nth below 1', () => {
    const vfs = new MemoryVfs();
    expect(() => vfs.failOperation({ kind: 'write', nth: 0, error: 'EIO' })).toThrow(/nth/);
  });
});

describe('MemoryVfs observation', () => {
  it('reports each mutating operation once, after it took effect, with increasing index', async () => {
    const vfs = new MemoryVfs();
    const seen: MemoryOperation[] = [];
    const sizes: number[] = [];
    const unsubscribe = vfs.onOperation((operation) => {
      seen.push(operation);
      sizes.push(vfs.totalBytes());
    });
    await vfs.mkdir('/db/sub', { recursive: true });
    const file = await vfs.open('/db/f', { create: true });
    await file.write({ data: bytes('abc'), position: 0 });
    await file.read({ buffer: new Uint8Array(3), position: 0 });
    await file.sync();
    await file.truncate(1);
    await vfs.syncDir('/db');
    await vfs.rename('/db/f', '/db/g');
    await vfs.stat('/db/g');
    await vfs.unlink('/db/g');
    await vfs.rmdir('/db/sub');
    unsubscribe();
    await vfs.mkdir('/quiet');
    expect(seen.map((operation) => [operation.kind, operation.target ?? operation.path])).toEqual([
      ['mkdir', '/db'], ['mkdir', '/db/sub'], ['create', '/db/f'], ['write', '/db/f'], ['sync', '/db/f'],
      ['truncate', '/db/f'], ['syncDir', '/db'], ['rename', '/db/g'], ['unlink', '/db/g'], ['rmdir', '/db/sub'],
    ]);
    expect(seen.map((operation) => operation.index)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(seen[7]).toEqual({ kind: 'rename', path: '/db/f', target: '/db/g', index: 8 });
    expect(sizes).toEqual([0, 0, 0, 3, 3, 1, 1, 1, 0, 0]);
    expect(vfs.operationCount).toBe(11);
  });

  it('lets a listener snapshot a crash image at every operation', async () => {
    // A crash after each step of "write temp, sync, dir-sync, rename, dir-sync" must show
    // either the old or the new CURRENT, never an empty or missing one.
    const vfs = new MemoryVfs();
    await vfs.mkdir('/db');
    await vfs.syncDir('/');
    await writeText(vfs, '/db/CURRENT', 'old');
    const file = await vfs.open('/db/CURRENT', { write: true });
    await file.sync();
    await file.close();
    await vfs.syncDir('/db');
    const images: MemoryVfs[] = [];
    vfs.onOperation(() => images.push(vfs.crashImage()));
    const temp = await vfs.open('/db/CURRENT.tmp', { create: true });
    await temp.write({ data: bytes('new'), position: 0 });
    await temp.sync();
    await temp.close();
    await vfs.syncDir('/db');
    await vfs.rename('/db/CURRENT.tmp', '/db/CURRENT');
    await vfs.syncDir('/db');
    const seen = await Promise.all(images.map((image) => readText(image, '/db/CURRENT')));
    expect(seen).toEqual(['old', 'old', 'old', 'old', 'old', 'new']);
  });
});
