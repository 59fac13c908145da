import { assert } from '@kv/base';
import { ByteStore } from './byte-store.js';
import { asDir, cloneLive } from './crash-image.js';
import { applyChange, createDirNode, createFileNode, truncateFileNode, writeFileNode } from './memory-node.js';
import type { DirNode, FileNode, MemoryNode, PendingChange } from './memory-node.js';
import { requireNode, requireParent } from './memory-tree.js';
import type { LoggedOperation, OperationLog } from './operation-log.js';

/**
 * One un-synced change to a directory's entries: the names it sets (to a node) or removes
 * (`undefined`). A rename inside one directory is one change of two names, so it is atomic.
 */
export interface EntryChange {
  /** The log index of the operation that made it; 0 for differences present when recording began. */
  readonly index: number;
  readonly label: string;
  readonly sets: readonly (readonly [string, MemoryNode | undefined])[];
}

/**
 * Rebuilds, operation by operation, the state of a recorded `MemoryVfs`: the tree with current
 * and durable entries, and every file's durable content and un-synced changes. Beyond what
 * `MemoryVfs` keeps, it remembers for every directory the ordered list of its un-synced entry
 * changes, and for every un-synced file change the operation that made it.
 *
 * A sync replaces a file's durable `ByteStore` instead of updating it in place, so a crash
 * plan that refers to a durable store stays valid however far the replay goes on.
 */
export class LogReplay {
  readonly root: DirNode;
  /** Un-synced entry changes per directory, oldest first. */
  readonly entryChanges: Map<DirNode, EntryChange[]> = new Map();
  private readonly files = new Map<number, FileNode>();
  private readonly changeIndexes = new WeakMap<PendingChange, number>();
  private appliedCount = 0;

  constructor(log: OperationLog) {
    const copies = new Map<MemoryNode, MemoryNode>();
    this.root = asDir(cloneLive(log.base, copies));
    for (const [original, copy] of copies) {
      const inode = log.baseInodes.get(original);
      if (inode !== undefined && copy.kind === 'file') this.files.set(inode, copy);
      if (copy.kind === 'dir') this.recordBaseDifferences(copy);
    }
  }

  /** How many operations were applied: the prefix this state belongs to. */
  get prefix(): number {
    return this.appliedCount;
  }

  /** The log index of the operation that made an un-synced file change; 0 if it predates the log. */
  changeIndex(change: PendingChange): number {
    return this.changeIndexes.get(change) ?? 0;
  }

  /** Applies the next operation of the log. Requires: operations are applied in log order. */
  apply(operation: LoggedOperation): void {
    assert(operation.index === this.appliedCount + 1, 'operations are replayed in log order');
    this.appliedCount = operation.index;
    const where = `replay #${operation.index} ${operation.kind} ${operation.path}`;
    switch (operation.kind) {
      case 'create': {
        const node = createFileNode();
        this.files.set(operation.inode, node);
        this.setEntry(operation, operation.path, node, `create ${operation.path}`);
        return;
      }
      case 'write': {
        const change = writeFileNode(where, this.file(operation.inode), operation.position, operation.data);
        if (change !== undefined) this.changeIndexes.set(change, operation.index);
        return;
      }
      case 'truncate':
        this.changeIndexes.set(truncateFileNode(where, this.file(operation.inode), operation.sizeBytes), operation.index);
        return;
      case 'sync':
        syncByReplacing(this.file(operation.inode));
        return;
      case 'syncDir': {
        const dir = requireNode(this.root, operation.path, where);
        assert(dir.kind === 'dir', 'syncDir names a directory');
        dir.durable = new Map(dir.current);
        this.entryChanges.delete(dir);
        return;
      }
      case 'mkdir':
        this.setEntry(operation, operation.path, createDirNode(), `mkdir ${operation.path}`);
        return;
      case 'unlink':
      case 'rmdir':
        this.setEntry(operation, operation.path, undefined, `${operation.kind} ${operation.path}`);
        return;
      case 'link':
        this.setEntry(operation, operation.target, requireNode(this.root, operation.path, where), `link ${operation.path} -> ${operation.target}`);
        return;
      case 'rename':
        this.rename(operation, where);
        return;
    }
  }

  private file(inode: number): FileNode {
    const node = this.files.get(inode);
    assert(node !== undefined, 'a logged file operation names a known inode');
    return node;
  }

  private setEntry(operation: LoggedOperation, path: string, node: MemoryNode | undefined, label: string): void {
    const entry = requireParent(this.root, path, `replay #${operation.index} ${label}`);
    if (node === undefined) entry.dir.current.delete(entry.name);
    else entry.dir.current.set(entry.name, node);
    this.pushChange(entry.dir, { index: operation.index, label, sets: [[entry.name, node]] });
  }

  /** Same directory: one atomic change of two names. Across directories: one change in each. */
  private rename(operation: { index: number; path: string; target: string }, where: string): void {
    const node = requireNode(this.root, operation.path, where);
    const source = requireParent(this.root, operation.path, where);
    const target = requireParent(this.root, operation.target, where);
    const label = `rename ${operation.path} -> ${operation.target}`;
    source.dir.current.delete(source.name);
    target.dir.current.set(target.name, node);
    if (source.dir === target.dir) {
      this.pushChange(source.dir, { index: operation.index, label, sets: [[source.name, undefined], [target.name, node]] });
    } else {
      this.pushChange(source.dir, { index: operation.index, label, sets: [[source.name, undefined]] });
      this.pushChange(target.dir, { index: operation.index, label, sets: [[target.name, node]] });
    }
  }

  private pushChange(dir: DirNode, change: EntryChange): void {
    const changes = this.entryChanges.get(dir) ?? [];
    changes.push(change);
    this.entryChanges.set(dir, changes);
  }

  /** Entries that differ between current and durable when recording began, one change per name. */
  private recordBaseDifferences(dir: DirNode): void {
    const names = new Set([...dir.current.keys(), ...dir.durable.keys()]);
    for (const name of [...names].sort()) {
      const now = dir.current.get(name);
      if (now === dir.durable.get(name)) continue;
      this.pushChange(dir, { index: 0, label: `${now === undefined ? 'remove' : 'set'} ${name} (before the log)`, sets: [[name, now]] });
    }
  }
}

/** Durable content after a sync, as a new store: the old one may be referenced by crash plans. */
function syncByReplacing(node: FileNode): void {
  const durable: ByteStore = node.durable.clone();
  for (const change of node.pending) applyChange(durable, change);
  node.durable = durable;
  node.pending = [];
}

