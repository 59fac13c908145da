import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LockedError } from '@kv/base';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NodeVfs } from '../src/index.js';
import { rejectionOf } from './backends.js';

// A file system without hard links (FAT, some FUSE and network mounts): every link fails, with
// an error code that varies by platform.
const linkError = vi.hoisted(() => ({ code: 'EPERM' }));
vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  const link = async (): Promise<void> => {
    throw Object.assign(new Error(`${linkError.code}: link not supported`), { code: linkError.code });
  };
  return { ...actual, default: { ...actual, link }, link };
});

describe('NodeVfs lock on a file system without hard links', () => {
  let root: string;
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'kv-vfs-nolink-'));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it.each(['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EISDIR', 'UNKNOWN', 'EIO'])('creates the lock file in place when link fails with %s', async (code) => {
    linkError.code = code;
    const vfs = new NodeVfs();
    const path = join(root, 'LOCK');
    const lock = await vfs.lock(path);
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe(String(process.pid));
    expect(readdirSync(root)).toEqual(['LOCK']);
    expect(await rejectionOf(vfs.lock(path))).toBeInstanceOf(LockedError);
    await lock.release();
    expect(readdirSync(root)).toEqual([]);
  });

  it('still refuses a live holder and takes over a dead one', async () => {
    linkError.code = 'EPERM';
    const vfs = new NodeVfs();
    const path = join(root, 'LOCK');
    writeFileSync(path, `${process.ppid}\n\n`);
    expect(await rejectionOf(vfs.lock(path))).toBeInstanceOf(LockedError);
    writeFileSync(path, '99999999\n\n');
    const lock = await vfs.lock(path);
    await lock.release();
  });

  it('reports the error of the file system when the lock file cannot be created at all, leaving no file', async () => {
    linkError.code = 'EIO';
    const vfs = new NodeVfs();
    expect(await rejectionOf(vfs.lock(join(root, 'missing', 'LOCK')))).toMatchObject({ code: 'IO_ERROR', osCode: 'ENOENT' });
    expect(readdirSync(root)).toEqual([]);
  });
});
