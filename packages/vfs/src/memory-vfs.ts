import { LockedError } from '@kv/base';
import { crashTree } from './crash-image.js';
import type { CrashOptions } from './crash-image.js';
import type { FaultSpec } from './fault-plan.js';
import { MemoryDevice } from './memory-device.js';
import type { MemoryOperationListener } from './memory-device.js';
import { MemoryFile } from './memory-file.js';
import { MemoryLock } from './memory-lock.js';
import { createDirNode, createFileNode } from './memory-node.js';
import type { DirNode, FileNode } from './memory-node.js';
import { OperationLog } from './operation-log.js';
import { lookup, normalizePath, pathComponents, requireNode, requireParent, walkFiles } from './memory-tree.js';
import type { FileStat, OpenOptions, Vfs, VfsFile, VfsLock } from './vfs.js';
import { osError } from './vfs-error.js';

/**
 * A `Vfs` held in memory that models what survives a crash (see the README's crash model):
 * file contents become durable on `sync()`, directory entries on `syncDir()` of their
 * directory, and that includes directories themselves. Adds fault injection and an operation
 * feed for crash tests. Async methods run synchronously and return settled promises.
 */
export class MemoryVfs implements Vfs {
  private readonly device: MemoryDevice = new MemoryDevice();

  /** Mutating operations that took effect so far (create, write, sync, syncDir, ...). */
  get operationCount(): number {
    return this.device.operationCount;
  }

  async open(path: string, options: OpenOptions = {}): Promise<VfsFile> {
    const normalized = normalizePath(path);
    const where = `open ${normalized}`;
    this.device.faults.check('open', where, normalized);
    const create = options.create ?? false;
    const writable = create || (options.write ?? false);
    const found = lookup(this.device.root, normalized);
    if (found.node?.kind === 'dir') throw osError(where, 'EISDIR');
    if (found.node !== undefined) {
      if (create && options.exclusive === true) throw osError(where, 'EEXIST');
      return new MemoryFile(this.device, found.node, normalized, writable);
    }
    if (!create) throw osError(where, found.osCode);
    const node = this.createFile(normalized, where);
    const file = new MemoryFile(this.device, node, normalized, writable);
    this.device.record('create', normalized, undefined, { file: node });
    return file;
  }

  async readFile(path: string): Promise<Uint8Array> {
    const normalized = normalizePath(path);
    const where = `readFile ${normalized}`;
    this.device.faults.check('read', where, normalized);
    const node = requireNode(this.device.root, normalized, where);
    if (node.kind === 'dir') throw osError(where, 'EISDIR');
    return node.current.toBytes();
  }

  async rename(from: string, to: string): Promise<void> {
    const source = normalizePath(from);
    const target = normalizePath(to);
    const where = `rename ${source} -> ${target}`;
    this.device.faults.check('rename', where, source, target);
    const root = this.device.root;
    const node = requireNode(root, source, where);
    const sourceEntry = requireParent(root, source, where);
    const targetEntry = requireParent(root, target, where);
    const replaced = targetEntry.dir.current.get(targetEntry.name);
    if (replaced === node) return;
    if (node.kind === 'dir' && (target + '/').startsWith(source + '/')) throw osError(where, 'EINVAL');
    if (replaced?.kind === 'dir') {
      if (node.kind !== 'dir') throw osError(where, 'EISDIR');
      if (replaced.current.size > 0) throw osError(where, 'ENOTEMPTY');
    } else if (replaced !== undefined && node.kind === 'dir') {
      throw osError(where, 'ENOTDIR');
    }
    sourceEntry.dir.current.delete(sourceEntry.name);
    targetEntry.dir.current.set(targetEntry.name, node);
    this.device.record('rename', source, target);
  }

  async link(existing: string, newPath: string): Promise<void> {
    const source = normalizePath(existing);
    const target = normalizePath(newPath);
    const where = `link ${source} -> ${target}`;
    this.device.faults.check('link', where, source, target);
    const root = this.device.root;
    const node = requireNode(root, source, where);
    if (node.kind === 'dir') throw osError(where, 'EPERM');
    const targetEntry = requireParent(root, target, where);
    if (targetEntry.dir.current.has(targetEntry.name)) throw osError(where, 'EEXIST');
    targetEntry.dir.current.set(targetEntry.name, node);
    this.device.record('link', source, target);
  }

  async unlink(path: string): Promise<void> {
    const normalized = normalizePath(path);
    const where = `unlink ${normalized}`;
    this.device.faults.check('unlink', where, normalized);
    const node = requireNode(this.device.root, normalized, where);
    if (node.kind === 'dir') throw osError(where, 'EISDIR');
    const entry = requireParent(this.device.root, normalized, where);
    entry.dir.current.delete(entry.name);
    this.device.record('unlink', normalized);
  }

  async list(dir: string): Promise<string[]> {
    const normalized = normalizePath(dir);
    const where = `list ${normalized}`;
    this.device.faults.check('list', where, normalized);
    return [...this.requireDir(normalized, where).current.keys()].sort();
  }

  /** Each directory created is one `mkdir` operation, reported with its own path. */
  async mkdir(dir: string, options: { recursive?: boolean } = {}): Promise<void> {
    const normalized = normalizePath(dir);
    const where = `mkdir ${normalized}`;
    this.device.faults.check('mkdir', where, normalized);
    if (options.recursive === true) {
      this.mkdirRecursive(normalized, where);
      return;
    }
    const entry = requireParent(this.device.root, normalized, where);
    if (entry.dir.current.has(entry.name)) throw osError(where, 'EEXIST');
    entry.dir.current.set(entry.name, createDirNode());
    this.device.record('mkdir', normalized);
  }

  async rmdir(dir: string): Promise<void> {
    const normalized = normalizePath(dir);
    const where = `rmdir ${normalized}`;
    this.device.faults.check('rmdir', where, normalized);
    const node = this.requireDir(normalized, where);
    const entry = requireParent(this.device.root, normalized, where);
    if (node.current.size > 0) throw osError(where, 'ENOTEMPTY');
    entry.dir.current.delete(entry.name);
    this.device.record('rmdir', normalized);
  }

  async stat(path: string): Promise<FileStat | undefined> {
    const normalized = normalizePath(path);
    this.device.faults.check('stat', `stat ${normalized}`, normalized);
    const { node } = lookup(this.device.root, normalized);
    if (node === undefined) return undefined;
    if (node.kind === 'dir') return { sizeBytes: 0, isDirectory: true };
    return { sizeBytes: node.current.length, isDirectory: false };
  }

  async syncDir(dir: string): Promise<void> {
    const normalized = normalizePath(dir);
    const where = `syncDir ${normalized}`;
    this.device.faults.check('syncDir', where, normalized);
    const node = this.requireDir(normalized, where);
    node.durable = new Map(node.current);
    this.device.record('syncDir', normalized);
  }

  /**
   * Exclusive within this instance. Creates the lock file (one `create` operation) when it is
   * missing; an existing file without a holder, e.g. one left by a crash, is taken over.
   */
  async lock(path: string): Promise<VfsLock> {
    const normalized = normalizePath(path);
    const where = `lock ${normalized}`;
    if (this.device.locks.has(normalized)) throw new LockedError(normalized, 'already held in this MemoryVfs');
    this.device.faults.check('open', where, normalized);
    const found = lookup(this.device.root, normalized);
    if (found.node?.kind === 'dir') throw osError(where, 'EISDIR');
    if (found.node === undefined) {
      const node = this.createFile(normalized, where);
      this.device.locks.add(normalized);
      this.device.record('create', normalized, undefined, { file: node });
    } else {
      this.device.locks.add(normalized);
    }
    return new MemoryLock(this.device, normalized);
  }

  /** Turns this instance into its state after a crash; every open handle and lock is void. */
  crash(options: CrashOptions = {}): void {
    this.device.root = crashTree(this.device.root, options);
    this.device.generation += 1;
    this.device.locks.clear();
  }

  /** A new, independent instance in the state a crash now would leave; this one is untouched. */
  crashImage(options: CrashOptions = {}): MemoryVfs {
    return MemoryVfs.fromTree(crashTree(this.device.root, options));
  }

  /** @internal A new instance holding `root`, which it takes over (crash-state images). */
  static fromTree(root: DirNode): MemoryVfs {
    const vfs = new MemoryVfs();
    vfs.device.root = root;
    return vfs;
  }

  /**
   * Starts logging every mutating operation, with the bytes of every write, so that the crash
   * states of every prefix of the run can be built afterwards (`crashStates`). Recording ends
   * with `log.stop()` or a `crash()` of this instance.
   */
  recordOperations(): OperationLog {
    return new OperationLog(this.device);
  }

  /** Arms a fault; see `FaultSpec`. Several faults may be armed at once. */
  failOperation(spec: FaultSpec): void {
    this.device.faults.add(spec);
  }

  clearFaults(): void {
    this.device.faults.clear();
  }

  /**
   * Calls `listener` synchronously after each mutating operation took effect, so it may take a
   * `crashImage()` of exactly that moment. Returns the unsubscribe function.
   */
  onOperation(listener: MemoryOperationListener): () => void {
    return this.device.onOperation(listener);
  }

  /** Current content of every file, by absolute path, for test assertions. */
  snapshotFiles(): Map<string, Uint8Array> {
    const files = new Map<string, Uint8Array>();
    for (const [path, node] of walkFiles(this.device.root)) files.set(path, node.current.toBytes());
    return files;
  }

  /** Sum of the current sizes of all files reachable by name. */
  totalBytes(): number {
    let total = 0;
    for (const [, node] of walkFiles(this.device.root)) total += node.current.length;
    return total;
  }

  private createFile(normalized: string, where: string): FileNode {
    const entry = requireParent(this.device.root, normalized, where);
    const node = createFileNode();
    entry.dir.current.set(entry.name, node);
    return node;
  }

  private requireDir(normalized: string, where: string): DirNode {
    const node = requireNode(this.device.root, normalized, where);
    if (node.kind !== 'dir') throw osError(where, 'ENOTDIR');
    return node;
  }

  private mkdirRecursive(normalized: string, where: string): void {
    let dir = this.device.root;
    let path = '';
    for (const name of pathComponents(normalized)) {
      path += `/${name}`;
      const child = dir.current.get(name);
      if (child?.kind === 'file') throw osError(where, path === normalized ? 'EEXIST' : 'ENOTDIR');
      if (child !== undefined) {
        dir = child;
        continue;
      }
      const created = createDirNode();
      dir.current.set(name, created);
      this.device.record('mkdir', path);
      dir = created;
    }
  }
}
