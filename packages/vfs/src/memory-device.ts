import { FaultPlan } from './fault-plan.js';
import { createDirNode } from './memory-node.js';
import type { DirNode, FileNode, PendingChange } from './memory-node.js';

/** The mutating operations `MemoryVfs` counts and reports. */
export type MemoryOperationKind =
  | 'create' | 'write' | 'sync' | 'syncDir' | 'rename' | 'link' | 'unlink' | 'truncate' | 'mkdir' | 'rmdir';

/** One mutating operation that took effect; `index` is `operationCount` right after it (1-based). */
export interface MemoryOperation {
  readonly kind: MemoryOperationKind;
  /** The normalized path operated on; for `rename`, the source. */
  readonly path: string;
  /** For `rename` only: the normalized destination. */
  readonly target?: string;
  readonly index: number;
}

export type MemoryOperationListener = (operation: MemoryOperation) => void;

/**
 * What an operation did beyond its paths, for the package's own recorders (`OperationLog`):
 * the file it created, wrote, truncated or synced (a handle may outlive the file's name), and
 * the change it added to that file's un-synced list.
 */
export interface OperationEffect {
  readonly file?: FileNode;
  readonly change?: PendingChange;
}

/** Sees every operation with its effect, before the public listeners. Internal to the package. */
export type OperationRecorder = (operation: MemoryOperation, effect: OperationEffect) => void;

/**
 * The shared state behind one `MemoryVfs` and its open files: the tree, the faults, the
 * listeners and the generation. A crash bumps the generation, which invalidates every handle
 * opened before it.
 */
export class MemoryDevice {
  root: DirNode = createDirNode();
  generation = 0;
  operationCount = 0;
  readonly faults: FaultPlan = new FaultPlan();
  readonly locks: Set<string> = new Set();
  private readonly listeners: Set<MemoryOperationListener> = new Set();
  private readonly recorders: Set<OperationRecorder> = new Set();

  /**
   * Counts a mutating operation that took effect and tells the listeners, synchronously. A
   * listener may read the vfs or take a crash image but must not change it: the operation that
   * called it may still hold references into the tree.
   */
  record(kind: MemoryOperationKind, path: string, target?: string, effect: OperationEffect = {}): void {
    this.operationCount += 1;
    const index = this.operationCount;
    const operation: MemoryOperation = target === undefined ? { kind, path, index } : { kind, path, target, index };
    for (const recorder of [...this.recorders]) recorder(operation, effect);
    // Iterate a copy: a listener may unsubscribe itself.
    for (const listener of [...this.listeners]) listener(operation);
  }

  onOperation(listener: MemoryOperationListener): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }

  addRecorder(recorder: OperationRecorder): () => void {
    this.recorders.add(recorder);
    return () => {
      this.recorders.delete(recorder);
    };
  }
}
