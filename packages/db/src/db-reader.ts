/**
 * The read side of a database, shared by the writable `DB` and `ReadOnlyDB`: point reads,
 * snapshots and iterators over a `ReadState` (memtables newest first, then page files). The
 * newest version found is hidden when it is a delete, has expired, or is older than a range
 * tombstone covering its key at the read's sequence number.
 */
import { EventEmitter } from 'node:events';
import { EntryKind, InvalidArgumentError, NotOpenError, RangeTombstoneIndex, expiryOf, toSeqNum, userValueOf } from '@kv/base';
import type { InternalEntry, InternalIterator, RangeTombstone, SeqNum } from '@kv/base';
import { MergingIterator } from '@kv/compaction';
import type { Memtable } from '@kv/memtable';
import { AbandonedIterators } from './abandoned-iterators.js';
import type { IteratorWatch } from './abandoned-iterators.js';
import type { DbEvents } from './db-events.js';
import { resultAllocator } from './byte-allocators.js';
import { DbIterator } from './db-iterator.js';
import { describe, toLookupKey } from './input-bytes.js';
import { toKeyRange, toLimit, toReverse, toShape } from './key-range.js';
import type { IteratorOptions } from './key-range.js';
import { Snapshot } from './snapshot.js';
import type { SnapshotSource } from './snapshot.js';
import { SnapshotList } from './snapshot-list.js';
import type { TableSet, VerifyReport } from './table-set.js';
import { UserCursor } from './user-cursor.js';
import type { Clock } from './write-op.js';

/** What reads see at one moment. */
export interface ReadState {
  /** Newest first: a key's newest version is in the first memtable that has it. */
  memtables: readonly Memtable[];
  tables: TableSet;
  /** The newest sequence number readers may see. */
  visibleSeq: SeqNum;
}

export type DbState = 'open' | 'closing' | 'closed';

export abstract class DbReader extends EventEmitter<DbEvents> implements SnapshotSource {
  protected readonly clock: Clock;
  protected readonly snapshots: SnapshotList = new SnapshotList();
  protected state: DbState = 'open';
  /** Releases what an iterator pins when it is garbage-collected without being closed. */
  private readonly abandonedIterators = new AbandonedIterators();

  protected constructor(clock: Clock) {
    super();
    this.clock = clock;
  }

  /** @internal What reads see now. */
  protected abstract readState(): ReadState;

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** The value of `key`, as a copy the caller owns, or undefined. */
  async get(key: Uint8Array | string): Promise<Uint8Array | undefined> {
    return this.readAt(key, this.readState().visibleSeq);
  }

  /**
   * `get` without a promise. Served from memory and the page cache; a page not in the cache
   * is read with one synchronous read per level that may hold the key (bloom filters skip
   * most), so it blocks the thread for that long on a cold cache.
   */
  getSync(key: Uint8Array | string): Uint8Array | undefined {
    return this.readAt(key, this.readState().visibleSeq);
  }

  /** The values of `keys` (undefined where absent), all read at one point in time. */
  async getMany(keys: readonly (Uint8Array | string)[]): Promise<(Uint8Array | undefined)[]> {
    return this.readManyAt(keys, this.readState().visibleSeq);
  }

  /** Whether `key` is present. */
  async has(key: Uint8Array | string): Promise<boolean> {
    this.ensureOpen();
    return this.lookup(toLookupKey(key), this.readState().visibleSeq) !== undefined;
  }

  /** Whether each of `keys` is present, all read at one point in time. */
  async hasMany(keys: readonly (Uint8Array | string)[]): Promise<boolean[]> {
    this.ensureOpen();
    const seq = this.readState().visibleSeq;
    return checkKeyList(keys).map((key) => this.lookup(toLookupKey(key), seq) !== undefined);
  }

  /**
   * A consistent view of the database as of now, until `release()`. Works with `await using`:
   * `await using snap = db.snapshot()`.
   */
  snapshot(): Snapshot {
    this.ensureOpen();
    const seq = this.readState().visibleSeq;
    this.snapshots.add(seq);
    return new Snapshot(this, seq);
  }

  /** @internal Reads at a sequence number (the current one, or a snapshot's). */
  readAt(key: Uint8Array | string, seq: number): Uint8Array | undefined {
    this.ensureOpen();
    const value = this.lookup(toLookupKey(key), toSeqNum(seq));
    return value === undefined ? undefined : resultAllocator.copy(value);
  }

  /** @internal Reads of several keys at one sequence number. */
  readManyAt(keys: readonly (Uint8Array | string)[], seq: number): (Uint8Array | undefined)[] {
    this.ensureOpen();
    return checkKeyList(keys).map((key) => {
      const value = this.lookup(toLookupKey(key), toSeqNum(seq));
      return value === undefined ? undefined : resultAllocator.copy(value);
    });
  }

  /** The user value of `key` at `seq`, or undefined when absent, deleted or expired: a view that
   *  may live in a scratch page (`TableSet.get`), so copy it before the next read. */
  private lookup(key: Uint8Array, seq: SeqNum): Uint8Array | undefined {
    const state = this.readState();
    const found = this.find(state, key, seq);
    if (found === undefined || found.kind === EntryKind.Delete) return undefined;
    if (found.kind === EntryKind.PutExpiring && expiryOf(found.value) <= this.clock()) return undefined;
    if (this.rangeTombstoneSeq(state, key, seq) > found.seq) return undefined;
    return userValueOf(found);
  }

  /** The newest range tombstone at or below `seq` covering `key`, across memtables and files; 0 if none. */
  private rangeTombstoneSeq(state: ReadState, key: Uint8Array, seq: SeqNum): number {
    let covering = 0;
    for (const memtable of state.memtables) {
      if (memtable.rangeTombstones.length > 0) covering = Math.max(covering, memtable.rangeTombstoneIndex.coveringSeq(key, seq));
    }
    const version = state.tables.version;
    if (version !== undefined && version.rangeTombstones.length > 0) covering = Math.max(covering, version.rangeTombstoneIndex.coveringSeq(key, seq));
    return covering;
  }

  /** @internal Called by `Snapshot.release()`. */
  releaseSnapshot(seq: number): void {
    this.snapshots.remove(seq);
  }

  private find(state: ReadState, key: Uint8Array, seq: SeqNum): InternalEntry | undefined {
    for (const memtable of state.memtables) {
      const found = memtable.get(key, seq);
      if (found !== undefined) return found;
    }
    return state.tables.get(key, seq);
  }

  /**
   * Entries in key order (or reverse) within the bounds, read from the state at this call.
   * `keys: false` / `values: false` leave that side empty (not copied). See `DbIterator` for
   * what the iterator pins and when it lets go.
   */
  iterator(options: IteratorOptions = {}): DbIterator {
    return this.iteratorAt(options, this.readState().visibleSeq);
  }

  /** @internal Iterators at a sequence number (the current one, or a snapshot's). */
  iteratorAt(options: IteratorOptions, seq: number): DbIterator {
    this.ensureOpen();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('iterator options', `must be an object, got ${describe(options)}`);
    const range = toKeyRange(options);
    const limit = toLimit(options.limit);
    const shape = toShape(options);
    const { memtables, tables } = this.readState();
    const view = tables.acquire();
    const sources: InternalIterator[] = memtables.map((memtable) => memtable.iterator());
    for (const source of view.iterators()) sources.push(source);
    const rangeTombstones = rangeTombstonesOf(view.version.rangeTombstones, memtables);
    const cursor = new UserCursor({ source: new MergingIterator(sources), snapshotSeq: toSeqNum(seq), range, reverse: toReverse(options), rangeTombstones, clock: this.clock });
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      view.release();
    };
    let watch: IteratorWatch | undefined;
    const iterator = new DbIterator({
      cursor, limit, shape,
      isDbOpen: () => this.state === 'open',
      onClose: () => {
        if (watch !== undefined) this.abandonedIterators.closed(watch);
        release();
      },
    });
    watch = this.abandonedIterators.watch(iterator, release);
    return iterator;
  }

  /** Entries with start <= key <= end, in key order. */
  range(start: Uint8Array | string, end: Uint8Array | string): DbIterator {
    return this.iterator({ gte: start, lte: end });
  }

  /**
   * Reads every page of every live page file and checks it; reports the damaged files
   * instead of throwing. Reads and writes go on meanwhile. See also `paranoidChecks`.
   */
  async verify(): Promise<VerifyReport> {
    this.ensureOpen();
    return this.readState().tables.verify();
  }

  protected ensureOpen(): void {
    if (this.state !== 'open') throw new NotOpenError('database');
  }
}

/** The keys of a multi-key read, as a dense array (a hole is a missing key: INVALID_ARGUMENT). */
function checkKeyList(keys: unknown): unknown[] {
  if (!Array.isArray(keys)) throw new InvalidArgumentError('keys', `must be an array, got ${describe(keys)}`);
  return Array.from(keys as unknown[]);
}

/** The range tombstones of the files and the memtables, indexed; the shared empty index when none (the common case). */
function rangeTombstonesOf(inFiles: readonly RangeTombstone[], memtables: readonly Memtable[]): RangeTombstoneIndex {
  let count = inFiles.length;
  for (const memtable of memtables) count += memtable.rangeTombstones.length;
  if (count === 0) return RangeTombstoneIndex.EMPTY;
  const tombstones: RangeTombstone[] = [...inFiles];
  for (const memtable of memtables) tombstones.push(...memtable.rangeTombstones);
  return new RangeTombstoneIndex(tombstones);
}
