import { ByteStore, MEMORY_FILE_BYTES_MAX } from './byte-store.js';
import { osError } from './vfs-error.js';

/** One change to a file since its last sync, kept so a torn crash can replay a prefix. */
export type PendingChange =
  | { readonly kind: 'write'; readonly position: number; readonly data: Uint8Array }
  | { readonly kind: 'truncate'; readonly sizeBytes: number };

/**
 * An in-memory inode. `current` is what readers see (the page cache); `durable` is what a
 * power loss keeps; `pending` lists, in order, the changes that turn `durable` into `current` (until a failed sync forgets them: `forgetUnsyncedChanges`).
 */
export interface FileNode {
  readonly kind: 'file';
  current: ByteStore;
  durable: ByteStore;
  pending: PendingChange[];
}

/**
 * An in-memory directory. Creations, renames and removals change `current`; `syncDir` copies
 * it to `durable`, the entries a power loss keeps. Entries point at nodes, so a renamed file
 * keeps its content under both its durable and its current name.
 */
export interface DirNode {
  readonly kind: 'dir';
  current: Map<string, MemoryNode>;
  durable: Map<string, MemoryNode>;
}

export type MemoryNode = FileNode | DirNode;

export function createFileNode(): FileNode {
  return { kind: 'file', current: ByteStore.empty(), durable: ByteStore.empty(), pending: [] };
}

export function createDirNode(): DirNode {
  return { kind: 'dir', current: new Map(), durable: new Map() };
}

/** A file whose content is all durable, as every file is right after a crash. */
export function syncedFileNode(content: ByteStore): FileNode {
  return { kind: 'file', current: content, durable: content.clone(), pending: [] };
}

/** Names `child` in `dir`, durably, as every entry is right after a crash. */
export function setSyncedEntry(dir: DirNode, name: string, child: MemoryNode): void {
  dir.current.set(name, child);
  dir.durable.set(name, child);
}

/** Applies one change to a byte store; shared by normal writes, sync and torn-crash replay. */
export function applyChange(store: ByteStore, change: PendingChange): void {
  if (change.kind === 'write') store.write(change.position, change.data);
  else store.truncate(change.sizeBytes);
}

/**
 * Writes a copy of `data` at `position` and remembers it as un-synced. Returns the change
 * (never mutated afterwards), or `undefined` for an empty write, which changes nothing.
 */
export function writeFileNode(where: string, node: FileNode, position: number, data: Uint8Array): PendingChange | undefined {
  checkFileSize(where, position + data.length);
  if (data.length === 0) return undefined;
  const change: PendingChange = { kind: 'write', position, data: new Uint8Array(data) };
  applyChange(node.current, change);
  node.pending.push(change);
  return change;
}

export function truncateFileNode(where: string, node: FileNode, sizeBytes: number): PendingChange {
  checkFileSize(where, sizeBytes);
  const change: PendingChange = { kind: 'truncate', sizeBytes };
  applyChange(node.current, change);
  node.pending.push(change);
  return change;
}

/** Makes `current` durable by replaying the pending changes, which costs only their size. */
export function syncFileNode(node: FileNode): void {
  for (const change of node.pending) applyChange(node.durable, change);
  node.pending = [];
}

/**
 * Drops the pending changes without applying them: `current` keeps them, `durable` never gets
 * them (a failed fdatasync on Linux). From then on `durable` plus `pending` is no longer
 * `current`, which is the point: what the process reads is not what a power loss keeps.
 */
export function forgetUnsyncedChanges(node: FileNode): void {
  node.pending = [];
}

function checkFileSize(where: string, endBytes: number): void {
  if (endBytes > MEMORY_FILE_BYTES_MAX) throw osError(where, 'EFBIG');
}
