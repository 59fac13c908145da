import { ByteStore } from './byte-store.js';
import { applyChange, createDirNode, setSyncedEntry, syncedFileNode } from './memory-node.js';
import type { DirNode, FileNode, MemoryNode, PendingChange } from './memory-node.js';
import type { EntryChange, LogReplay } from './log-replay.js';

/**
 * One un-synced change that a crash may or may not persist: a change to a file's content (a
 * write or a truncate) or a change to a directory's entries. `index` is the log index of the
 * operation that made it (0 for changes older than the log).
 */
export type CrashUnit =
  | { readonly kind: 'file'; readonly index: number; readonly label: string; readonly file: FileNode; readonly change: PendingChange; readonly pendingIndex: number }
  | { readonly kind: 'entry'; readonly index: number; readonly label: string; readonly dir: DirNode; readonly changeIndex: number };

/** Which units persisted, and optionally one persisted write cut to its first `keptBytes`. */
export interface CrashChoice {
  readonly persisted: readonly boolean[];
  readonly tear?: { readonly unit: number; readonly keptBytes: number };
}

type PlanFile = { readonly kind: 'file'; readonly durable: ByteStore; readonly changes: readonly PendingChange[]; readonly keptBytes: number | undefined };
type PlanDir = { readonly kind: 'dir'; readonly entries: (readonly [string, PlanNode])[] };
type PlanNode = PlanFile | PlanDir;

/** What a crash leaves, before any byte is copied: cheap to compare, built on demand. */
export interface CrashPlan {
  readonly root: PlanDir;
  /** Equal for two plans that build the same files (by identity of their parts, so cheap). */
  readonly fingerprint: string;
}

/**
 * Every un-synced change of the replayed state that can matter: those of files and directories
 * reachable through current or durable entries (or through an un-synced change), in log order.
 */
export function collectUnits(replay: LogReplay): CrashUnit[] {
  const units: CrashUnit[] = [];
  const seen = new Set<MemoryNode>();
  const visit = (node: MemoryNode, path: string): void => {
    if (seen.has(node)) return;
    seen.add(node);
    if (node.kind === 'file') {
      node.pending.forEach((change, pendingIndex) => {
        const index = replay.changeIndex(change);
        const what = change.kind === 'write' ? `write ${path} @${change.position}+${change.data.length}` : `truncate ${path} to ${change.sizeBytes}`;
        units.push({ kind: 'file', index, label: `#${index} ${what}`, file: node, change, pendingIndex });
      });
      return;
    }
    const changes = replay.entryChanges.get(node) ?? [];
    changes.forEach((change, changeIndex) => units.push({ kind: 'entry', index: change.index, label: `#${change.index} ${change.label}`, dir: node, changeIndex }));
    for (const [name, child] of childrenOf(node, changes)) visit(child, `${path === '/' ? '' : path}/${name}`);
  };
  visit(replay.root, '/');
  return units.sort((a, b) => a.index - b.index);
}

/** Children through current, durable and un-synced entries, by name. */
function childrenOf(dir: DirNode, changes: readonly EntryChange[]): [string, MemoryNode][] {
  const children: [string, MemoryNode][] = [...dir.durable, ...dir.current];
  for (const change of changes) for (const [name, node] of change.sets) if (node !== undefined) children.push([name, node]);
  return children.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/**
 * The changes of one file a choice persists. A truncate is a barrier, as ext4's
 * replace-via-truncate heuristic makes it: when any change after a truncate persisted, the
 * truncate and every change before it persisted too; after the last such truncate, each
 * chosen change persists on its own.
 */
export function persistedChanges(pending: readonly PendingChange[], chosen: ReadonlySet<number>): number[] {
  let last = -1;
  for (const index of chosen) last = Math.max(last, index);
  let barrier = -1;
  for (let index = 0; index <= last; index++) if (pending[index]?.kind === 'truncate') barrier = index;
  const kept: number[] = [];
  for (let index = 0; index <= last; index++) if (index <= barrier || chosen.has(index)) kept.push(index);
  return kept;
}

/** The plan of what survives when exactly the chosen units persist. */
export function planCrash(replay: LogReplay, units: readonly CrashUnit[], choice: CrashChoice): CrashPlan {
  const chosenFiles = new Map<FileNode, Set<number>>();
  const chosenEntries = new Map<DirNode, Set<number>>();
  units.forEach((unit, position) => {
    if (choice.persisted[position] !== true) return;
    if (unit.kind === 'file') addTo(chosenFiles, unit.file, unit.pendingIndex);
    else addTo(chosenEntries, unit.dir, unit.changeIndex);
  });
  const torn = choice.tear === undefined ? undefined : units[choice.tear.unit];
  const lines: string[] = [];
  const planned = new Map<MemoryNode, PlanNode>();
  const planNode = (node: MemoryNode, path: string): PlanNode => {
    const seen = planned.get(node);
    if (seen !== undefined) {
      lines.push(`${path} = ${identity(node)}`);
      return seen;
    }
    if (node.kind === 'file') {
      const kept = persistedChanges(node.pending, chosenFiles.get(node) ?? new Set());
      const changes = kept.map((index) => node.pending[index] as PendingChange);
      const tearHere = torn?.kind === 'file' && torn.file === node && kept[kept.length - 1] === torn.pendingIndex;
      const keptBytes = tearHere ? choice.tear?.keptBytes : undefined;
      lines.push(`${path} ${identity(node)} ${identity(node.durable)}+${changes.map(identity).join(',')}${keptBytes === undefined ? '' : `~${keptBytes}`}`);
      const file: PlanFile = { kind: 'file', durable: node.durable, changes, keptBytes };
      planned.set(node, file);
      return file;
    }
    lines.push(`${path}/`);
    const dir: PlanDir = { kind: 'dir', entries: [] };
    planned.set(node, dir);
    const entries = survivingEntries(node, replay.entryChanges.get(node) ?? [], chosenEntries.get(node) ?? new Set());
    for (const name of [...entries.keys()].sort()) {
      const child = entries.get(name) as MemoryNode;
      dir.entries.push([name, planNode(child, `${path === '/' ? '' : path}/${name}`)]);
    }
    return dir;
  };
  const root = planNode(replay.root, '/');
  return { root: root as PlanDir, fingerprint: lines.join('\n') };
}

/** The durable entries with the chosen un-synced changes applied in order. */
function survivingEntries(dir: DirNode, changes: readonly EntryChange[], chosen: ReadonlySet<number>): Map<string, MemoryNode> {
  const entries = new Map(dir.durable);
  changes.forEach((change, index) => {
    if (!chosen.has(index)) return;
    for (const [name, node] of change.sets) {
      if (node === undefined) entries.delete(name);
      else entries.set(name, node);
    }
  });
  return entries;
}

/** Builds the tree a plan describes, with every file synced (current = durable). */
export function buildTree(plan: CrashPlan): DirNode {
  const built = new Map<PlanNode, MemoryNode>();
  const build = (node: PlanNode): MemoryNode => {
    const seen = built.get(node);
    if (seen !== undefined) return seen;
    if (node.kind === 'file') {
      const file = syncedFileNode(contentOf(node));
      built.set(node, file);
      return file;
    }
    const dir = createDirNode();
    built.set(node, dir);
    for (const [name, child] of node.entries) setSyncedEntry(dir, name, build(child));
    return dir;
  };
  return build(plan.root) as DirNode;
}

function contentOf(file: PlanFile): ByteStore {
  const store = file.durable.clone();
  file.changes.forEach((change, index) => {
    const last = index === file.changes.length - 1;
    if (last && file.keptBytes !== undefined && change.kind === 'write') {
      applyChange(store, { kind: 'write', position: change.position, data: change.data.subarray(0, file.keptBytes) });
    } else {
      applyChange(store, change);
    }
  });
  return store;
}

function addTo<K>(map: Map<K, Set<number>>, key: K, value: number): void {
  const set = map.get(key) ?? new Set<number>();
  set.add(value);
  map.set(key, set);
}

const identities = new WeakMap<object, number>();
let nextIdentity = 1;

/** A short stable name for an object, for fingerprints. */
function identity(thing: object): string {
  let id = identities.get(thing);
  if (id === undefined) {
    id = nextIdentity++;
    identities.set(thing, id);
  }
  return `@${id}`;
}
