import { EntryPacker, RangeTombstoneIndex, assert, hasValue } from '@kv/base';
import type { EntryKind, IndexedEntries, RangeTombstone, SeqNum } from '@kv/base';
import type { MemtableEntry } from './memtable-entry.js';
import { LeafIterator } from './memtable-iterator.js';
import type { MemtableIterator } from './memtable-iterator.js';
import { SortedLeaves } from './sorted-leaves.js';

/**
 * Memory per entry beyond its key and value bytes, as the table keeps entries by default
 * (copying keys and values into its own chunks): the entry's seq, kind and six references in
 * the store, which doubles as it grows, and its id and prefix in a leaf. Measured with
 * `node --expose-gc packages/memtable/bench/entry-overhead.mjs`: 56–90 bytes for 100,000 to
 * 520,000 entries, the most just after the store doubled. With `referenceBytes` the figure is
 * the same when keys and values lie in a few large buffers (the engine's case), and several
 * hundred bytes more when every entry brings buffers of its own.
 */
export const ENTRY_OVERHEAD_BYTES = 96;

/** Entries per leaf before it splits. 128 beat 64 and 256 on random inserts (README.md). */
export const LEAF_ENTRY_COUNT_MAX_DEFAULT = 128;

export interface MemtableOptions {
  /** Entries per leaf before it splits; at least 2. */
  readonly leafEntryCountMax?: number;
  /** The per-entry constant in `memoryBytes` (default `ENTRY_OVERHEAD_BYTES`). */
  readonly entryOverheadBytes?: number;
  /**
   * false (default): `add` copies each key and value into the table's own chunks, so the
   * caller may reuse its arrays. true: the table references the bytes where they are (buffer,
   * offset, length), copying nothing; for a caller whose keys and values are views into a few
   * large buffers it never mutates (the engine's batch payloads). Every distinct buffer costs
   * the table a view and a map entry, so small separate arrays are better copied.
   */
  readonly referenceBytes?: boolean;
}


/** Entries the store is sized for at first; it doubles as the table fills. */
const STORE_ENTRIES_INITIAL = 1024;

/**
 * An ordered in-memory table of internal entries (user key ascending, then seq descending),
 * plus the range tombstones written to it, kept as a list beside the tree.
 *
 * Entries live in an `EntryPacker` (the store: seqs, kinds and references to the key and
 * value bytes, in flat arrays) and the tree orders their ids, so the table holds no object per
 * entry: nothing for the garbage collector to trace or promote, and a frozen table goes to a
 * flush as its store and its ids in order (`indexed`).
 */
export class Memtable {
  private readonly store: EntryPacker = new EntryPacker(STORE_ENTRIES_INITIAL);
  private readonly tree: SortedLeaves;
  private readonly entryOverheadBytes: number;
  /** Whether `add` keeps references to the caller's bytes instead of copying them. */
  private readonly referenceBytes: boolean;
  private isFrozen = false;
  private count = 0;
  private keyValueBytes = 0;
  private seqLow: SeqNum | undefined = undefined;
  private seqHigh: SeqNum | undefined = undefined;
  private readonly tombstones: RangeTombstone[] = [];
  private tombstoneIndex: RangeTombstoneIndex | undefined = RangeTombstoneIndex.EMPTY;

  constructor(options: MemtableOptions = {}) {
    this.tree = new SortedLeaves(this.store, options.leafEntryCountMax ?? LEAF_ENTRY_COUNT_MAX_DEFAULT);
    this.entryOverheadBytes = options.entryOverheadBytes ?? ENTRY_OVERHEAD_BYTES;
    this.referenceBytes = options.referenceBytes === true;
  }

  /**
   * Requires: not frozen; (key, seq) not present. A delete carries an empty value. Copies the
   * key and value, or with `referenceBytes` keeps references to their bytes (the caller then
   * never mutates them).
   */
  add(key: Uint8Array, seq: SeqNum, kind: EntryKind, value: Uint8Array): void {
    assert(!this.isFrozen, 'add to a frozen memtable');
    assert(hasValue(kind) || value.length === 0, 'a delete has an empty value');
    const id = this.referenceBytes ? this.store.append(key, seq, kind, value) : this.store.appendCopy(key, seq, kind, value);
    this.inserted(id, key, 0, key.length, value.length, seq);
  }

  /**
   * `add` for a key and a value that lie in one array (a batch payload): `keyLength` bytes of
   * `bytes` from `keyStart` and `valueLength` from `valueStart`. With `referenceBytes` nothing
   * is copied and no view is made; otherwise they are copied as `add` copies them.
   */
  addRange(bytes: Uint8Array, keyStart: number, keyLength: number, seq: SeqNum, kind: EntryKind, valueStart: number, valueLength: number): void {
    assert(!this.isFrozen, 'add to a frozen memtable');
    assert(hasValue(kind) || valueLength === 0, 'a delete has an empty value');
    const id = this.referenceBytes
      ? this.store.appendRange(bytes, keyStart, keyLength, seq, kind, valueStart, valueLength)
      : this.store.appendCopy(bytes.subarray(keyStart, keyStart + keyLength), seq, kind, bytes.subarray(valueStart, valueStart + valueLength));
    this.inserted(id, bytes, keyStart, keyLength, valueLength, seq);
  }

  /** Orders the stored entry `id`, whose key is `keyLength` bytes of `bytes` from `keyStart`, and counts it. */
  private inserted(id: number, bytes: Uint8Array, keyStart: number, keyLength: number, valueLength: number, seq: SeqNum): void {
    this.tree.insert(id, bytes, keyStart, keyLength);
    this.count++;
    this.keyValueBytes += keyLength + valueLength;
    this.noteSeq(seq);
  }

  /**
   * Requires: not frozen; `tombstone.seq` unused. Copies its keys, or with `referenceBytes`
   * keeps references to them. Counted in `memoryBytes` like an entry.
   */
  addRangeTombstone(tombstone: RangeTombstone): void {
    assert(!this.isFrozen, 'add to a frozen memtable');
    const { start, end, seq } = tombstone;
    // Copies made with `new Uint8Array(view)`: `slice()` on a Node Buffer is a view.
    this.tombstones.push(this.referenceBytes ? tombstone : { start: new Uint8Array(start), end: end === undefined ? undefined : new Uint8Array(end), seq });
    this.tombstoneIndex = undefined;
    this.keyValueBytes += tombstone.start.length + (tombstone.end?.length ?? 0);
    this.noteSeq(tombstone.seq);
  }

  /** The range tombstones, in the order they were added. */
  get rangeTombstones(): readonly RangeTombstone[] {
    return this.tombstones;
  }

  /** An index over `rangeTombstones`, rebuilt after a tombstone is added. */
  get rangeTombstoneIndex(): RangeTombstoneIndex {
    this.tombstoneIndex ??= new RangeTombstoneIndex(this.tombstones);
    return this.tombstoneIndex;
  }

  /** Whether nothing (no entry, no range tombstone) was added. */
  get isEmpty(): boolean {
    return this.count === 0 && this.tombstones.length === 0;
  }

  private noteSeq(seq: SeqNum): void {
    if (this.seqLow === undefined || seq < this.seqLow) this.seqLow = seq;
    if (this.seqHigh === undefined || seq > this.seqHigh) this.seqHigh = seq;
  }

  /**
   * The newest entry for `key` with seq <= `seqMax` (a delete is returned as such), or
   * undefined. A new object: its key is `key` itself, its value a view of the stored bytes.
   */
  get(key: Uint8Array, seqMax: SeqNum): MemtableEntry | undefined {
    const id = this.tree.ceiling(key, this.tree.prefixOf(key), seqMax);
    if (id < 0 || this.store.compareKeyAt(id, key) !== 0) return undefined;
    const store = this.store;
    return { key, seq: store.seqAt(id), kind: store.kindAt(id), value: store.valueAt(id) };
  }

  /**
   * The entries as they lie in the table's store (in the order added: copies of its arrays,
   * exactly as long as the entries, sharing its key and value buffers) and the ids in
   * internal order: all a table build needs to write them in order, for two sequential
   * copies here (`IndexedEntries`). The caller owns the arrays and may transfer them to
   * another thread. Requires: frozen, so the store no longer changes.
   */
  indexed(): IndexedEntries {
    assert(this.isFrozen, 'a memtable is indexed once frozen');
    return { entries: this.store.entriesCopy(), order: this.tree.ids(this.count) };
  }

  /** A new iterator, initially invalid; it may be used while entries are added. */
  iterator(): MemtableIterator {
    return new LeafIterator(this.tree);
  }

  /** Makes the table read-only; a later `add` is a bug. */
  freeze(): void {
    this.isFrozen = true;
  }

  get frozen(): boolean {
    return this.isFrozen;
  }

  get entryCount(): number {
    return this.count;
  }

  /** Exactly the sum of key.length + value.length over all entries, plus the range tombstones' keys. */
  get dataBytes(): number {
    return this.keyValueBytes;
  }

  /** An estimate of the heap the table holds: `dataBytes + (entries + tombstones) * entryOverheadBytes`. */
  get memoryBytes(): number {
    return this.keyValueBytes + (this.count + this.tombstones.length) * this.entryOverheadBytes;
  }

  get seqMin(): SeqNum | undefined {
    return this.seqLow;
  }

  get seqMax(): SeqNum | undefined {
    return this.seqHigh;
  }
}

