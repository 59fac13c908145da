import * as fs from 'node:fs';
import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { LockedError } from '@kv/base';
import { processLockRegistry } from './lock-registry.js';
import { NodeFile } from './node-file.js';
import { acquirePidLock, removeIgnoringMissing } from './pid-lock.js';
import type { FileStat, OpenOptions, Vfs, VfsFile, VfsLock } from './vfs.js';
import { errnoOf, fromNodeError, osError } from './vfs-error.js';

const openAsync = promisify(fs.open);
const fstatAsync = promisify(fs.fstat);

/** `O_DIRECTORY` makes `syncDir` on a regular file fail with ENOTDIR, as `MemoryVfs` does. */
const OPEN_DIRECTORY_FLAGS: number = constants.O_RDONLY | (constants.O_DIRECTORY ?? 0);

/** The `Vfs` over node:fs. Holds no state of its own except the process-wide lock registry. */
export class NodeVfs implements Vfs {
  async open(path: string, options: OpenOptions = {}): Promise<VfsFile> {
    const where = `open ${path}`;
    const fd = await wrap(where, openAsync(path, openFlags(options), 0o644));
    let isDirectory: boolean;
    try {
      isDirectory = (await fstatAsync(fd)).isDirectory();
    } catch (error) {
      fs.close(fd, () => undefined);
      throw fromNodeError(where, error);
    }
    // Linux opens a directory read-only without complaint; the contract says EISDIR.
    if (isDirectory) {
      fs.close(fd, () => undefined);
      throw osError(where, 'EISDIR');
    }
    return new NodeFile(path, fd);
  }

  async readFile(path: string): Promise<Uint8Array> {
    try {
      const bytes = await fsp.readFile(path);
      return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    } catch (error) {
      throw fromNodeError(`readFile ${path}`, error);
    }
  }

  async link(existing: string, newPath: string): Promise<void> {
    await wrap(`link ${existing} -> ${newPath}`, fsp.link(existing, newPath));
  }

  async rename(from: string, to: string): Promise<void> {
    await wrap(`rename ${from} -> ${to}`, fsp.rename(from, to));
  }

  async unlink(path: string): Promise<void> {
    await wrap(`unlink ${path}`, fsp.unlink(path));
  }

  async list(dir: string): Promise<string[]> {
    const names = await wrap(`list ${dir}`, fsp.readdir(dir));
    return names.sort();
  }

  async mkdir(dir: string, options: { recursive?: boolean } = {}): Promise<void> {
    await wrap(`mkdir ${dir}`, fsp.mkdir(dir, { recursive: options.recursive ?? false }));
  }

  async rmdir(dir: string): Promise<void> {
    await wrap(`rmdir ${dir}`, fsp.rmdir(dir));
  }

  /** Undefined for ENOENT and for ENOTDIR (a parent is a file): nothing is there either way. */
  async stat(path: string): Promise<FileStat | undefined> {
    try {
      const stats = await fsp.stat(path);
      return { sizeBytes: stats.size, isDirectory: stats.isDirectory() };
    } catch (error) {
      const osCode = errnoOf(error);
      if (osCode === 'ENOENT' || osCode === 'ENOTDIR') return undefined;
      throw fromNodeError(`stat ${path}`, error);
    }
  }

  /** Windows cannot open or fsync a directory, and NTFS journals entries itself. */
  async syncDir(dir: string): Promise<void> {
    if (process.platform === 'win32') return;
    const where = `syncDir ${dir}`;
    const handle = await wrap(where, fsp.open(dir, OPEN_DIRECTORY_FLAGS));
    try {
      await handle.sync();
    } catch (error) {
      throw fromNodeError(where, error);
    } finally {
      await handle.close();
    }
  }

  /** See the README for the pid lock protocol and the race it leaves open. */
  async lock(path: string): Promise<VfsLock> {
    const key = await registryKey(path);
    const registry = processLockRegistry();
    if (registry.has(key)) throw new LockedError(path, 'already held in this process');
    // Reserve before the first await on the file so a concurrent lock() here sees it.
    registry.add(key);
    try {
      await acquirePidLock(path);
    } catch (error) {
      registry.delete(key);
      throw error;
    }
    return new NodeLock(path, key);
  }
}

/** The process-wide default instance. */
export const nodeVfs: NodeVfs = new NodeVfs();

class NodeLock implements VfsLock {
  readonly path: string;
  private readonly key: string;
  private released = false;

  constructor(path: string, key: string) {
    this.path = path;
    this.key = key;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    try {
      await removeIgnoringMissing(this.path);
    } finally {
      // A lock file left behind names this process, which a later lock() treats as stale.
      processLockRegistry().delete(this.key);
    }
  }
}

function openFlags(options: OpenOptions): number {
  const create = options.create ?? false;
  const write = create || (options.write ?? false);
  let flags = write ? constants.O_RDWR : constants.O_RDONLY;
  if (create) flags |= constants.O_CREAT;
  if (create && (options.exclusive ?? false)) flags |= constants.O_EXCL;
  return flags;
}

/** The registry key: the real path of the directory, so two spellings of a path collide. */
async function registryKey(path: string): Promise<string> {
  const dir = await wrap(`lock ${path}`, fsp.realpath(dirname(path)));
  return join(dir, basename(path));
}

async function wrap<T>(where: string, promise: Promise<T>): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw fromNodeError(where, error);
  }
}
