import { RangeTombstoneIndex, assert, equalBytes, hasValue } from '@kv/base';
import type { EntryKind, RangeTombstone, SeqNum } from '@kv/base';
import type { MemtableEntry } from './memtable-entry.js';
import { LeafIterator } from './memtable-iterator.js';
import type { MemtableIterator } from './memtable-iterator.js';
import { SortedLeaves } from './sorted-leaves.js';

/**
 * Heap bytes per entry beyond its key and value bytes, measured with
 * `bench/structures.mjs` (see README.md): about 96 for the table itself (the entry object, its
 * slot in a leaf, its prefix, leaf slack and the directory) and about 384 for the two typed
 * arrays a put copies into (a key of up to 64 bytes lives on the V8 heap behind a ~200-byte
 * header; a longer value gets a ~184-byte header and an off-heap store).
 */
export const ENTRY_OVERHEAD_BYTES = 480;

/** Entries per leaf before it splits. 128 beat 64 and 256 on random inserts (README.md). */
export const LEAF_ENTRY_COUNT_MAX_DEFAULT = 128;

export interface MemtableOptions {
  /** Entries per leaf before it splits; at least 2. */
  readonly leafEntryCountMax?: number;
  /** The per-entry constant in `memoryBytes`, for callers whose keys and values share buffers. */
  readonly entryOverheadBytes?: number;
}

/**
 * An ordered in-memory table of internal entries (user key ascending, then seq descending),
 * plus the range tombstones written to it, kept as a list beside the tree.
 */
export class Memtable {
  private readonly tree: SortedLeaves;
  private readonly entryOverheadBytes: number;
  private isFrozen = false;
  private count = 0;
  private keyValueBytes = 0;
  private seqLow: SeqNum | undefined = undefined;
  private seqHigh: SeqNum | undefined = undefined;
  private readonly tombstones: RangeTombstone[] = [];
  private tombstoneIndex: RangeTombstoneIndex | undefined = RangeTombstoneIndex.EMPTY;

  constructor(options: MemtableOptions = {}) {
    this.tree = new SortedLeaves(options.leafEntryCountMax ?? LEAF_ENTRY_COUNT_MAX_DEFAULT);
    this.entryOverheadBytes = options.entryOverheadBytes ?? ENTRY_OVERHEAD_BYTES;
  }

  /**
   * Requires: not frozen; (key, seq) not present. Keeps references to `key` and `value`: the
   * caller passes bytes it will never mutate. A delete carries an empty value.
   */
  add(key: Uint8Array, seq: SeqNum, kind: EntryKind, value: Uint8Array): void {
    assert(!this.isFrozen, 'add to a frozen memtable');
    assert(hasValue(kind) || value.length === 0, 'a delete has an empty value');
    const entry: MemtableEntry = { key, seq, kind, value };
    this.tree.insert(entry);
    this.count++;
    this.keyValueBytes += key.length + value.length;
    this.noteSeq(seq);
  }

  /**
   * Requires: not frozen; `tombstone.seq` unused. Keeps references to its keys. Counted in
   * `memoryBytes` like an entry.
   */
  addRangeTombstone(tombstone: RangeTombstone): void {
    assert(!this.isFrozen, 'add to a frozen memtable');
    this.tombstones.push(tombstone);
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

  /** The newest entry for `key` with seq <= `seqMax` (a delete is returned as such), or undefined. */
  get(key: Uint8Array, seqMax: SeqNum): MemtableEntry | undefined {
    const entry = this.tree.ceiling(key, this.tree.prefixOf(key), seqMax);
    return entry !== undefined && equalBytes(entry.key, key) ? entry : undefined;
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

