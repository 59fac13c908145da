import { posix } from 'node:path';
import type { DirNode, FileNode, MemoryNode } from './memory-node.js';
import { osError } from './vfs-error.js';

/** Where a path ends up in the current tree: the node, or why there is none. */
export type LookupResult =
  | { readonly node: MemoryNode; readonly osCode?: undefined }
  | { readonly node: undefined; readonly osCode: 'ENOENT' | 'ENOTDIR' };

/** A path's parent directory and its last component. */
export interface ParentEntry {
  readonly dir: DirNode;
  readonly name: string;
}

/** Absolute, normalized POSIX form; relative paths resolve against the root, never the cwd. */
export function normalizePath(path: string): string {
  return posix.resolve('/', path);
}

/** The components of a normalized path; none for the root. */
export function pathComponents(normalized: string): string[] {
  return normalized === '/' ? [] : normalized.slice(1).split('/');
}

/** Follows the current entries from `root`. */
export function lookup(root: DirNode, normalized: string): LookupResult {
  let node: MemoryNode = root;
  for (const name of pathComponents(normalized)) {
    if (node.kind !== 'dir') return { node: undefined, osCode: 'ENOTDIR' };
    const child = node.current.get(name);
    if (child === undefined) return { node: undefined, osCode: 'ENOENT' };
    node = child;
  }
  return { node };
}

/** The node at a path, or the ENOENT/ENOTDIR error a real file system would give. */
export function requireNode(root: DirNode, normalized: string, where: string): MemoryNode {
  const found = lookup(root, normalized);
  if (found.node === undefined) throw osError(where, found.osCode);
  return found.node;
}

/** The existing parent directory of a path; the root has none (EBUSY, as Linux says for '/'). */
export function requireParent(root: DirNode, normalized: string, where: string): ParentEntry {
  if (normalized === '/') throw osError(where, 'EBUSY');
  const parent = requireNode(root, posix.dirname(normalized), where);
  if (parent.kind !== 'dir') throw osError(where, 'ENOTDIR');
  return { dir: parent, name: posix.basename(normalized) };
}

/** Every file reachable through current entries, with its path, in sorted order. */
export function* walkFiles(root: DirNode, prefix = ''): Generator<[string, FileNode]> {
  for (const name of [...root.current.keys()].sort()) {
    const child = root.current.get(name);
    if (child === undefined) continue;
    const path = `${prefix}/${name}`;
    if (child.kind === 'dir') yield* walkFiles(child, path);
    else yield [path, child];
  }
}
