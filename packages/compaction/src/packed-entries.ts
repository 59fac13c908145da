/**
 * Checking, reading and merging `PackedEntries` runs (see @kv/base) that came from another
 * thread, and what to transfer when posting them.
 */
import { InvalidArgumentError, PACKED_REF_FIELDS, compareByteRanges, toSeqNum } from '@kv/base';
import type { EntryKind, IndexedEntries, InternalEntry, MutableInternalEntry, PackedEntries } from '@kv/base';

/** A run in internal order, or an indexed one: entries in the order added and the order to read them in. */
export type PackedRun = PackedEntries | IndexedEntries;

/** One run, or several whose entries go into one file together (memtables flushed as one). */
export type PackedRuns = PackedRun | readonly PackedRun[];

/** The runs of `runs` as a list. */
export function runsOf(runs: PackedRuns): readonly PackedRun[] {
  return Array.isArray(runs) ? (runs as readonly PackedRun[]) : [runs as PackedRun];
}

/** Whether `run` is indexed (anything else is checked as a run in internal order). */
function isIndexed(run: PackedRun): run is IndexedEntries {
  return typeof run === 'object' && run !== null && 'order' in run;
}

/**
 * The buffers to transfer when posting `runs` to a worker: each run's own arrays (a sorted
 * run's, an indexed run's entries and order; the caller made them for the post, as
 * `Memtable.indexed` does). The key and value buffers are copied, or shared when they are
 * shared memory (readers may still be using them on the sending side).
 */
export function transferListOf(runs: PackedRuns): ArrayBuffer[] {
  // Anything malformed is left for the worker's `checkPackedEntries` to refuse.
  const list = runsOf(runs).filter((run) => typeof run === 'object' && run !== null);
  const entriesOf = (run: PackedRun): Partial<PackedEntries> => (isIndexed(run) ? (typeof run.entries === 'object' && run.entries !== null ? run.entries : {}) : run);
  const referenced = new Set(list.flatMap((run) => {
    const buffers = entriesOf(run).buffers;
    return Array.isArray(buffers) ? buffers : [];
  }));
  const transfer = new Set<ArrayBuffer>();
  for (const run of list) {
    const { seqs, kinds, refs } = entriesOf(run);
    const arrays: unknown[] = isIndexed(run) ? [seqs, kinds, refs, run.order] : [seqs, kinds, refs];
    for (const array of arrays) {
      const buffer = ArrayBuffer.isView(array) ? array.buffer : undefined;
      if (buffer instanceof ArrayBuffer && !referenced.has(buffer)) transfer.add(buffer);
    }
  }
  return [...transfer];
}

/**
 * `run` in internal order, checked (`checkPackedEntries`): a run in internal order as it is,
 * an indexed one gathered into new arrays (its references still point into its buffers).
 * INVALID_ARGUMENT when the order is not an Int32Array of one index per entry, each inside
 * the entries. An index given twice leaves another entry out, and puts one entry twice in the
 * run, which the consumer's order check rejects.
 */
export function sortedRunOf(run: PackedRun): PackedEntries {
  const gather = startGather(run);
  gather.next(Number.MAX_SAFE_INTEGER);
  return gather.sorted;
}

/**
 * `sortedRunOf` a slice at a time: `next(n)` gathers up to n more entries and says whether
 * the run is complete, so a caller on a shared thread can yield between slices (the gather
 * reads the entries at random, about 70–200 ns an entry). Checks the run when started.
 */
export function startGather(run: PackedRun): { sorted: PackedEntries; next(entries: number): boolean } {
  if (!isIndexed(run)) {
    checkPackedEntries(run);
    return { sorted: run, next: () => true };
  }
  const { entries, order } = run;
  checkPackedEntries(entries);
  const count = entries.count;
  if (!(order instanceof Int32Array) || order.length !== count) throw new InvalidArgumentError('packed entries', `the order must be an Int32Array of ${count} indexes`);
  const sorted: PackedEntries = { count, seqs: new Float64Array(count), kinds: new Uint8Array(count), refs: new Uint32Array(PACKED_REF_FIELDS * count), buffers: entries.buffers };
  let done = 0;
  return {
    sorted,
    next(slice: number): boolean {
      const end = Math.min(count, done + slice);
      for (let i = done; i < end; i++) {
        const from = order[i] as number;
        if (from < 0 || from >= count) throw new InvalidArgumentError('packed entries', `order ${i}: index ${from} is outside the ${count} entries`);
        copyPackedEntry(entries, from, 0, sorted, i);
      }
      done = end;
      return done === count;
    },
  };
}

/**
 * One run holding every entry of `runs`, each checked (`checkPackedEntries`) and in internal
 * order, in internal order: user key ascending, then seq descending. Nothing is copied but
 * numbers: the references point into the runs' buffers, listed one run after another. A
 * single run is returned as it is. Two entries with the same key and seq stay side by side,
 * for the consumer's order check to reject.
 */
export function mergePackedRuns(runs: readonly PackedEntries[]): PackedEntries {
  if (runs.length === 0) return { count: 0, seqs: new Float64Array(0), kinds: new Uint8Array(0), refs: new Uint32Array(0), buffers: [] };
  // Neighbours two at a time, so each entry is copied once per halving: O(entries × log runs).
  let round = [...runs];
  while (round.length > 1) {
    const next: PackedEntries[] = [];
    for (let r = 0; r < round.length; r += 2) next.push(r + 1 < round.length ? mergeTwoRuns(round[r] as PackedEntries, round[r + 1] as PackedEntries) : (round[r] as PackedEntries));
    round = next;
  }
  return round[0] as PackedEntries;
}

function mergeTwoRuns(a: PackedEntries, b: PackedEntries): PackedEntries {
  const count = a.count + b.count;
  const merged: PackedEntries = { count, seqs: new Float64Array(count), kinds: new Uint8Array(count), refs: new Uint32Array(PACKED_REF_FIELDS * count), buffers: [...a.buffers, ...b.buffers] };
  const aViews = bufferViews(a);
  const bViews = bufferViews(b);
  // b's references name its buffers after a's.
  const bShift = a.buffers.length;
  let i = 0;
  let j = 0;
  for (let k = 0; k < count; k++) {
    const ai = PACKED_REF_FIELDS * i;
    const bj = PACKED_REF_FIELDS * j;
    let fromA = j === b.count;
    if (i < a.count && !fromA) {
      const byKey = comparePackedKeys(aViews, a.refs, ai, bViews, b.refs, bj);
      fromA = byKey < 0 || (byKey === 0 && (a.seqs[i] as number) >= (b.seqs[j] as number));
    }
    if (fromA) copyPackedEntry(a, i++, 0, merged, k);
    else copyPackedEntry(b, j++, bShift, merged, k);
  }
  return merged;
}

/** A view of each buffer of a checked run, indexed as its references name them. */
export function bufferViews(packed: PackedEntries): Uint8Array[] {
  return packed.buffers.map((buffer) => new Uint8Array(buffer));
}

/**
 * Compares the key whose reference starts at `aRefs[aAt]` (`aViews` being its run's
 * `bufferViews`) with the one at `bRefs[bAt]`, as `compareByteRanges` does, without a view of
 * either.
 */
export function comparePackedKeys(aViews: readonly Uint8Array[], aRefs: Uint32Array, aAt: number, bViews: readonly Uint8Array[], bRefs: Uint32Array, bAt: number): number {
  return compareByteRanges(aViews[aRefs[aAt] as number] as Uint8Array, aRefs[aAt + 1] as number, aRefs[aAt + 2] as number, bViews[bRefs[bAt] as number] as Uint8Array, bRefs[bAt + 1] as number, bRefs[bAt + 2] as number);
}

/** Entry `from` of `source` as entry `to` of `target`, its buffer indexes raised by `bufferShift`. */
function copyPackedEntry(source: PackedEntries, from: number, bufferShift: number, target: PackedEntries, to: number): void {
  target.seqs[to] = source.seqs[from] as number;
  target.kinds[to] = source.kinds[from] as number;
  const at = PACKED_REF_FIELDS * from;
  const into = PACKED_REF_FIELDS * to;
  for (let f = 0; f < PACKED_REF_FIELDS; f++) target.refs[into + f] = source.refs[at + f] as number;
  target.refs[into] = (source.refs[at] as number) + bufferShift;
  target.refs[into + 3] = (source.refs[at + 3] as number) + bufferShift;
}

/**
 * Checks that `packed` is well formed: array types and lengths agree with `count`, every
 * reference lies inside its buffer, seqs are non-negative integers. INVALID_ARGUMENT otherwise.
 * Order and kinds are the consumer's to check (`runTableBuild`, the table builder).
 */
export function checkPackedEntries(packed: PackedEntries): void {
  const problem = (detail: string): InvalidArgumentError => new InvalidArgumentError('packed entries', detail);
  if (typeof packed !== 'object' || packed === null) throw problem(`a run must be an object, got ${packed === null ? 'null' : typeof packed}`);
  const { count, seqs, kinds, refs, buffers } = packed;
  if (!Number.isSafeInteger(count) || count < 0) throw problem(`count ${count} is not a non-negative integer`);
  if (!(seqs instanceof Float64Array) || !(kinds instanceof Uint8Array) || !(refs instanceof Uint32Array) || !Array.isArray(buffers)) {
    throw problem('seqs, kinds, refs and buffers must be a Float64Array, a Uint8Array, a Uint32Array and an array');
  }
  if (seqs.length < count || kinds.length < count || refs.length < PACKED_REF_FIELDS * count) throw problem(`arrays shorter than ${count} entries`);
  const sizes = buffers.map((buffer) => (buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer ? buffer.byteLength : -1));
  if (sizes.includes(-1)) throw problem('buffers must be ArrayBuffers or SharedArrayBuffers');
  for (let i = 0; i < count; i++) {
    const seq = seqs[i] as number;
    if (!Number.isSafeInteger(seq) || seq < 0) throw problem(`entry ${i}: seq ${seq} is not a non-negative integer`);
    const at = PACKED_REF_FIELDS * i;
    if (!refInside(refs, at, sizes)) throw problem(`entry ${i}: its key lies outside the buffers`);
    if (!refInside(refs, at + 3, sizes)) throw problem(`entry ${i}: its value lies outside the buffers`);
  }
}

/** Whether the (buffer index, offset, length) at `refs[at]` lies inside a buffer of `sizes`. */
function refInside(refs: Uint32Array, at: number, sizes: readonly number[]): boolean {
  const size = sizes[refs[at] as number];
  return size !== undefined && (refs[at + 1] as number) + (refs[at + 2] as number) <= size;
}

/**
 * Entry `i` of `packed` (requires 0 <= i < count, and a checked run): key and value are views
 * of its buffers. In `into` when given (a loop's one entry object, rewritten at each step), else
 * in a new object.
 */
export function packedEntryAt(packed: PackedEntries, i: number, into?: MutableInternalEntry): InternalEntry {
  const at = PACKED_REF_FIELDS * i;
  const key = packedBytesAt(packed, at);
  const seq = toSeqNum(packed.seqs[i] as number);
  const kind = packed.kinds[i] as EntryKind;
  const value = packedBytesAt(packed, at + 3);
  if (into === undefined) return { key, seq, kind, value };
  into.key = key;
  into.seq = seq;
  into.kind = kind;
  into.value = value;
  return into;
}

/**
 * The bytes whose (buffer index, offset, length) stand at `refs[at]` of a checked run, as a
 * new view: `at` is `PACKED_REF_FIELDS × i` for entry i's key, 3 more for its value.
 */
export function packedBytesAt(packed: PackedEntries, at: number): Uint8Array {
  const refs = packed.refs;
  return new Uint8Array(packed.buffers[refs[at] as number] as ArrayBufferLike, refs[at + 1], refs[at + 2]);
}
