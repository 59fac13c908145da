import { assert } from '@kv/base';
import { ByteStore } from './byte-store.js';
import { applyChange, createDirNode, setSyncedEntry, syncedFileNode } from './memory-node.js';
import type { DirNode, FileNode, MemoryNode } from './memory-node.js';
import { SeededRandom } from './seeded-random.js';

/**
 * - `power-loss`: only synced file contents and dir-synced directory entries survive.
 * - `process-kill`: the OS survived, so everything survives, including what is still
 *   un-synced (a later power loss can still drop it).
 * - `torn`: a power loss during write-back: directory entries are the durable ones, and each
 *   file keeps its durable content plus a random prefix of its un-synced changes, the last
 *   surviving write cut at a random byte.
 */
export type CrashMode = 'power-loss' | 'process-kill' | 'torn';

export interface CrashOptions {
  /** Default `power-loss`. */
  mode?: CrashMode;
  /** Seeds the choices of `torn` mode; the same state and seed give the same image. */
  seed?: number;
}

const DEFAULT_SEED = 0x5eed;

/** Builds the directory tree a crash leaves behind. `root` and its nodes are not modified. */
export function crashTree(root: DirNode, options: CrashOptions = {}): DirNode {
  const mode = options.mode ?? 'power-loss';
  if (mode === 'process-kill') return asDir(cloneLive(root, new Map()));
  const random = new SeededRandom(options.seed ?? DEFAULT_SEED);
  const survivor = mode === 'torn'
    ? (file: FileNode) => tornContent(file, random)
    : (file: FileNode) => file.durable.clone();
  return asDir(cloneDurable(root, new Map(), survivor));
}

/** A clone of a directory is a directory. */
export function asDir(node: MemoryNode): DirNode {
  assert(node.kind === 'dir', 'a cloned directory is a directory');
  return node;
}

/**
 * The content a torn crash leaves in one file: the durable content, then the first k of the
 * un-synced changes in order (k uniform in 0..n), the k-th cut to a random length if a write.
 */
export function tornContent(file: FileNode, random: SeededRandom): ByteStore {
  const store = file.durable.clone();
  const surviving = random.below(file.pending.length + 1);
  for (let index = 0; index < surviving; index++) {
    const change = file.pending[index];
    if (change === undefined) break;
    if (index === surviving - 1 && change.kind === 'write') {
      const kept = random.below(change.data.length + 1);
      applyChange(store, { kind: 'write', position: change.position, data: change.data.subarray(0, kept) });
    } else {
      applyChange(store, change);
    }
  }
  return store;
}

/**
 * Copies the whole graph, both entry sets and all pending changes; shared nodes stay shared.
 * `copies` maps each original node to its copy, so callers can follow identities across.
 */
export function cloneLive(node: MemoryNode, copies: Map<MemoryNode, MemoryNode>): MemoryNode {
  const seen = copies.get(node);
  if (seen !== undefined) return seen;
  if (node.kind === 'file') {
    // Pending changes are never mutated after creation, so the copies can share them.
    const file: FileNode = { kind: 'file', current: node.current.clone(), durable: node.durable.clone(), pending: [...node.pending] };
    copies.set(node, file);
    return file;
  }
  const dir = createDirNode();
  copies.set(node, dir);
  for (const [name, child] of node.current) dir.current.set(name, cloneLive(child, copies));
  for (const [name, child] of node.durable) dir.durable.set(name, cloneLive(child, copies));
  return dir;
}

/**
 * Rebuilds the tree from durable entries only. Entries are visited in sorted order so that the
 * random choices of `torn` mode are deterministic.
 */
function cloneDurable(
  node: MemoryNode,
  copies: Map<MemoryNode, MemoryNode>,
  survivor: (file: FileNode) => ByteStore,
): MemoryNode {
  const seen = copies.get(node);
  if (seen !== undefined) return seen;
  if (node.kind === 'file') {
    const file = syncedFileNode(survivor(node));
    copies.set(node, file);
    return file;
  }
  const dir = createDirNode();
  copies.set(node, dir);
  for (const name of [...node.durable.keys()].sort()) {
    const child = node.durable.get(name);
    if (child !== undefined) setSyncedEntry(dir, name, cloneDurable(child, copies, survivor));
  }
  return dir;
}
