import type { MemoryDevice } from './memory-device.js';
import { lookup, requireParent } from './memory-tree.js';
import type { VfsLock } from './vfs.js';

/** A lock of a `MemoryVfs`. Releasing removes the lock file (one `unlink` operation). */
export class MemoryLock implements VfsLock {
  readonly path: string;
  private readonly device: MemoryDevice;
  private readonly generation: number;
  private released = false;

  constructor(device: MemoryDevice, path: string) {
    this.device = device;
    this.path = path;
    this.generation = device.generation;
  }

  /** After a crash the lock is already gone, and a new holder's file must not be touched. */
  async release(): Promise<void> {
    if (this.released || this.generation !== this.device.generation) return;
    this.released = true;
    this.device.locks.delete(this.path);
    if (lookup(this.device.root, this.path).node?.kind !== 'file') return;
    const entry = requireParent(this.device.root, this.path, `release ${this.path}`);
    entry.dir.current.delete(entry.name);
    this.device.record('unlink', this.path);
  }
}
