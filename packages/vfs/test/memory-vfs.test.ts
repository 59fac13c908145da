import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '../src/index.js';
import { bytes, readText, rejectionOf, writeText } from './backends.js';

describe('MemoryVfs paths and helpers', () => {
  it('resolves relative and unnormalized paths against the root', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('db');
    await writeText(vfs, 'db/./x/../f', 'data');
    expect(await readText(vfs, '/db/f')).toBe('data');
    expect(await vfs.list('/db/')).toEqual(['f']);
  });

  it('snapshots current file contents and counts their bytes', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('/a/b', { recursive: true });
    await writeText(vfs, '/a/b/one', '12345');
    await writeText(vfs, '/top', 'xy');
    const snapshot = vfs.snapshotFiles();
    expect([...snapshot.keys()]).toEqual(['/a/b/one', '/top']);
    expect(snapshot.get('/top')).toEqual(bytes('xy'));
    expect(vfs.totalBytes()).toBe(7);
  });

  it('returns copies from readFile that the caller may change', async () => {
    const vfs = new MemoryVfs();
    await writeText(vfs, '/f', 'abc');
    const first = await vfs.readFile('/f');
    first[0] = 0;
    expect(await readText(vfs, '/f')).toBe('abc');
  });

  it('keeps an unlinked file readable through a handle opened before', async () => {
    const vfs = new MemoryVfs();
    await writeText(vfs, '/f', 'still here');
    const file = await vfs.open('/f');
    await vfs.unlink('/f');
    const buffer = new Uint8Array(10);
    expect(file.readSync({ buffer, position: 0 })).toBe(10);
    expect(await vfs.stat('/f')).toBeUndefined();
  });

  it('refuses files larger than the in-memory limit with EFBIG', async () => {
    const vfs = new MemoryVfs();
    const file = await vfs.open('/f', { create: true });
    expect(await rejectionOf(file.write({ data: bytes('x'), position: 2 ** 40 }))).toMatchObject({ osCode: 'EFBIG' });
    expect(await rejectionOf(file.truncate(2 ** 40))).toMatchObject({ osCode: 'EFBIG' });
    expect(await file.size()).toBe(0);
  });

  it('renames directories, refusing to move one into itself', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('/a/b', { recursive: true });
    await writeText(vfs, '/a/b/f', 'x');
    expect(await rejectionOf(vfs.rename('/a', '/a/b/c'))).toMatchObject({ osCode: 'EINVAL' });
    await vfs.rename('/a', '/z');
    expect(await readText(vfs, '/z/b/f')).toBe('x');
  });

  it('replays a truncate among the un-synced changes on sync', async () => {
    const vfs = new MemoryVfs();
    const file = await vfs.open('/f', { create: true });
    await vfs.syncDir('/');
    await file.write({ data: bytes('abcdef'), position: 0 });
    await file.truncate(2);
    await file.write({ data: bytes('Z'), position: 4 });
    await file.sync();
    expect([...(await vfs.crashImage().readFile('/f'))]).toEqual([97, 98, 0, 0, 90]);
  });
});
