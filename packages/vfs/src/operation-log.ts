import { asDir, cloneLive } from './crash-image.js';
import type { MemoryDevice, MemoryOperation, OperationEffect } from './memory-device.js';
import type { DirNode, FileNode, MemoryNode } from './memory-node.js';

/**
 * One mutating operation of a recorded run. `index` is 1-based within the log. Operations on an
 * open file name the file by `inode`, a number the log gives each file, because a handle keeps
 * working after its file was renamed or unlinked; `path` is the name it was opened under.
 */
export type LoggedOperation =
  | { readonly kind: 'create'; readonly index: number; readonly path: string; readonly inode: number }
  | { readonly kind: 'write'; readonly index: number; readonly path: string; readonly inode: number; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: 'truncate'; readonly index: number; readonly path: string; readonly inode: number; readonly sizeBytes: number }
  | { readonly kind: 'sync'; readonly index: number; readonly path: string; readonly inode: number }
  | { readonly kind: 'syncDir' | 'unlink' | 'mkdir' | 'rmdir'; readonly index: number; readonly path: string }
  | { readonly kind: 'rename' | 'link'; readonly index: number; readonly path: string; readonly target: string };

/**
 * Every mutating operation of a `MemoryVfs` since `vfs.recordOperations()` was called, with the
 * bytes of every write, plus a copy of the whole file system (current and durable state) at
 * that moment: enough to rebuild the state after any prefix of the run and every crash state
 * of that prefix (see `crashStates`). Failed operations change nothing and are not logged.
 *
 * A log covers one run of one instance: `crash()` on the recorded instance ends the recording.
 */
export class OperationLog {
  /** @internal The file system when recording started; never modified. */
  readonly base: DirNode;
  /** @internal The inode numbers of the files in `base`. */
  readonly baseInodes: ReadonlyMap<MemoryNode, number>;
  private readonly entries: LoggedOperation[] = [];
  private readonly inodes = new Map<FileNode, number>();
  private nextInode = 1;
  private readonly generation: number;
  private unsubscribe: (() => void) | undefined;

  /** @internal Use `MemoryVfs.recordOperations()`. */
  constructor(device: MemoryDevice) {
    const copies = new Map<MemoryNode, MemoryNode>();
    this.base = asDir(cloneLive(device.root, copies));
    const baseInodes = new Map<MemoryNode, number>();
    for (const [original, copy] of copies) {
      if (original.kind !== 'file') continue;
      const inode = this.inodeOf(original);
      baseInodes.set(copy, inode);
    }
    this.baseInodes = baseInodes;
    this.generation = device.generation;
    this.unsubscribe = device.addRecorder((operation, effect) => {
      if (device.generation !== this.generation) this.stop();
      else this.append(operation, effect);
    });
  }

  /** How many operations were logged. */
  get length(): number {
    return this.entries.length;
  }

  /** The logged operations, in order; `operations[i].index === i + 1`. */
  get operations(): readonly LoggedOperation[] {
    return this.entries;
  }

  /** Whether the log still records. */
  get recording(): boolean {
    return this.unsubscribe !== undefined;
  }

  /** Stops recording; the log keeps what it has. Idempotent. */
  stop(): void {
    this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  private append(operation: MemoryOperation, effect: OperationEffect): void {
    const index = this.entries.length + 1;
    const { path } = operation;
    this.entries.push(toLogged(operation, effect, { index, path, inode: effect.file === undefined ? 0 : this.inodeOf(effect.file) }));
  }

  private inodeOf(file: FileNode): number {
    let inode = this.inodes.get(file);
    if (inode === undefined) {
      inode = this.nextInode++;
      this.inodes.set(file, inode);
    }
    return inode;
  }
}

const EMPTY = new Uint8Array(0);

function toLogged(operation: MemoryOperation, effect: OperationEffect, at: { index: number; path: string; inode: number }): LoggedOperation {
  const { index, path, inode } = at;
  switch (operation.kind) {
    case 'create':
    case 'sync':
      return { kind: operation.kind, index, path, inode };
    case 'write': {
      const change = effect.change;
      // The change's bytes are a private copy that is never mutated, so the log can share them.
      if (change?.kind === 'write') return { kind: 'write', index, path, inode, position: change.position, data: change.data };
      return { kind: 'write', index, path, inode, position: 0, data: EMPTY };
    }
    case 'truncate': {
      const change = effect.change;
      return { kind: 'truncate', index, path, inode, sizeBytes: change?.kind === 'truncate' ? change.sizeBytes : 0 };
    }
    case 'rename':
    case 'link':
      return { kind: operation.kind, index, path, target: operation.target ?? path };
    case 'syncDir':
    case 'unlink':
    case 'mkdir':
    case 'rmdir':
      return { kind: operation.kind, index, path };
  }
}
