/**
 * The kv engine. Writes are sequenced, logged to the WAL with group commit and applied to the
 * active memtable (`WritePipeline`). A full memtable is frozen and flushed to a level-0 page
 * file in the background (`Flusher`). Reads look in the active memtable, the frozen ones
 * (newest first) and then the page files (`TableSet`); the newest version found is hidden
 * when it is a delete, has expired, or is older than a range tombstone covering its key.
 */
import { EventEmitter } from 'node:events';
import { EntryKind, InvalidArgumentError, NotOpenError, RangeTombstoneIndex, expiryOf, toFileNum, toSeqNum, userValueOf } from '@kv/base';
import type { InternalEntry, RangeTombstone, SeqNum } from '@kv/base';
import { MergingIterator } from '@kv/compaction';
import type { Manifest } from '@kv/manifest';
import type { BlockCache } from '@kv/sstable';
import { NodeVfs } from '@kv/vfs';
import type { Vfs, VfsLock } from '@kv/vfs';
import { DbIterator } from './db-iterator.js';
import type { DbStats } from './db-stats.js';
import { writeCheckpoint } from './checkpoint.js';
import { Compactor } from './compactor.js';
import { destroyDatabase } from './destroy-database.js';
import { repairDatabase } from './repair-database.js';
import type { RepairReport } from './repair-database.js';
import { Flusher } from './flusher.js';
import type { DbEvents, EngineEventSink } from './db-events.js';
import { describe, toKey, toLookupKey } from './input-bytes.js';
import { keySuccessor, rangeBounds, toKeyRange, toLimit, toShape } from './key-range.js';
import type { ClearOptions, IteratorOptions } from './key-range.js';
import { openDatabase } from './open-database.js';
import { compressionForLevel, readSyncFlag, resolveOptions } from './options.js';
import type { DbOptions, ResolvedOptions } from './options.js';
import type { SnapshotSource } from './snapshot.js';
import type { TableSet } from './table-set.js';
import { Snapshot } from './snapshot.js';
import { SnapshotList } from './snapshot-list.js';
import { UserCursor } from './user-cursor.js';
import { checkFixedWidth, deleteOp, putOp, rangeDeleteOp, readTtlOption, toWriteOps } from './write-op.js';
import type { BatchOp, Clock, WriteOp } from './write-op.js';
import { WritePipeline } from './write-pipeline.js';

export interface WriteOptions {
  /** Resolve only after the write is on stable storage (fdatasync). Default false: resolve
   *  once the WAL record reached the operating system (survives a process kill). */
  sync?: boolean;
}

export interface PutOptions extends WriteOptions {
  /** Milliseconds until the entry expires: from then on it reads as deleted everywhere, and
   *  compaction drops it. Measured with the database's `clock`. Default: never. */
  ttl?: number;
}

type State = 'open' | 'closing' | 'closed';

export class DB extends EventEmitter<DbEvents> implements SnapshotSource {
  readonly location: string;
  private readonly pipeline: WritePipeline;
  private readonly flusher: Flusher;
  private readonly compactor: Compactor;
  private readonly tables: TableSet;
  private readonly cache: BlockCache;
  private readonly manifest: Manifest;
  private readonly lock: VfsLock;
  private readonly vfs: Vfs;
  private readonly fixedWidth: { keySize: number; valueSize: number } | undefined;
  private readonly memtableSizeBytes: number;
  private readonly snapshots = new SnapshotList();
  private state: State = 'open';
  private closing: Promise<void> | undefined;
  private walBytes = 0;
  private readonly flushTimer: ReturnType<typeof setInterval> | undefined;
  private readonly clock: Clock;
  /** Releases what an iterator pins when it is garbage-collected without being closed. */
  private readonly abandonedIterators = new FinalizationRegistry<() => void>((release) => release());

  private constructor(location: string, options: ResolvedOptions, opened: Awaited<ReturnType<typeof openDatabase>>) {
    super();
    this.location = location;
    this.clock = options.clock;
    const events = this.eventSink();
    this.vfs = options.vfs;
    this.tables = opened.tables;
    this.cache = opened.cache;
    this.manifest = opened.manifest;
    this.lock = opened.lock;
    this.fixedWidth = opened.fixedWidth;
    this.memtableSizeBytes = options.memory.memtableSizeBytes;
    const build = {
      pageSizeBytes: opened.pageSizeBytes,
      compression: compressionForLevel(options.compression, 0),
      bloomBitsPerKey: options.bloomBitsPerKey,
      ...(opened.fixedWidth === undefined ? {} : { fixedWidth: opened.fixedWidth }),
    };
    this.flusher = new Flusher({
      vfs: options.vfs, dir: location, manifest: opened.manifest, tables: opened.tables, build,
      activeWalNumber: () => this.pipeline.wal.number,
      snapshots: () => this.snapshots.sequences(),
      onInstalled: () => this.compactor.kick(),
      events,
    });
    this.flushTimer = options.flushIntervalMs === undefined ? undefined : this.startFlushTimer(options.flushIntervalMs);
    this.compactor = new Compactor({
      vfs: options.vfs, dir: location, manifest: opened.manifest, tables: opened.tables, policy: options.compaction,
      buildFor: (level) => ({ ...build, compression: compressionForLevel(options.compression, level) }),
      snapshots: () => this.snapshots.sequences(),
      visibleSeq: () => this.pipeline.visibleSeq,
      useWorker: options.vfs instanceof NodeVfs,
      clock: this.clock,
      events,
    });
    this.pipeline = new WritePipeline({
      vfs: options.vfs, dir: location, allocateFileNumber: () => toFileNum(opened.manifest.allocateFileNumber()), memtableSizeBytes: this.memtableSizeBytes,
      memtable: opened.memtable, wal: opened.wal, lastSeq: opened.lastSeq,
      hooks: {
        waitForRoom: async () => {
          await this.flusher.waitForRoom();
          await this.compactor.waitForLevel0Room();
        },
        onFrozen: (frozen) => this.flusher.add(frozen),
        onWalBytes: (bytes) => (this.walBytes += bytes),
        flushBehind: () => this.flusher.behind || this.compactor.level0Files >= options.compaction.level0SlowdownTrigger,
        onSlowdown: () => this.flusher.stats.slowdowns++,
      },
    });
  }

  /** Opens (by default creating) the database in `location`. */
  static async open(location: string, options?: DbOptions): Promise<DB> {
    const resolved = resolveOptions(options);
    const dir = location.length > 1 ? location.replace(/\/+$/, '') : location;
    const opened = await openDatabase(dir, resolved);
    const db = new DB(dir, resolved, opened);
    // Level 0 may already be over its trigger (many flushes before a crash, say).
    db.compactor.kick();
    return db;
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Inserts or replaces `key`; with `ttl`, the entry expires that many milliseconds from now. */
  async put(key: Uint8Array | string, value: Uint8Array | string, options?: PutOptions): Promise<void> {
    this.ensureOpen();
    const sync = readSyncFlag(options);
    return this.commit([putOp(key, value, readTtlOption(options), this.clock)], sync);
  }

  /** Removes `key`; removing a missing key is a no-op. */
  async delete(key: Uint8Array | string, options?: WriteOptions): Promise<void> {
    this.ensureOpen();
    return this.commit([deleteOp(key)], readSyncFlag(options));
  }

  /**
   * Applies every operation or none. A later operation on the same key wins. `delRange`
   * deletes the keys in [start, end) as one range tombstone, whatever their number.
   */
  async write(ops: readonly BatchOp[], options?: WriteOptions): Promise<void> {
    this.ensureOpen();
    return this.commit(toWriteOps(ops, this.clock), readSyncFlag(options));
  }

  /**
   * Deletes every key inside the bounds (all keys when none are given) atomically, with one
   * range tombstone. With `limit`, only the first `limit` keys in iteration order (`reverse`
   * counts from the top) as of the call: the tombstone then ends just past the last of them.
   */
  async clear(options: ClearOptions = {}): Promise<void> {
    this.ensureOpen();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('clear options', `must be an object, got ${describe(options)}`);
    const limit = toLimit(options.limit);
    let { start, end } = rangeBounds(toKeyRange(options));
    if (limit === 0) return;
    if (limit !== Infinity) {
      const edge = this.limitEdge(options, limit);
      if (edge === undefined) return;
      if (options.reverse === true) start = edge;
      else end = keySuccessor(edge);
    }
    return this.commit([rangeDeleteOp(start, end)], false);
  }

  /** The last key a `limit`-long iteration reaches (undefined when the range is empty). */
  private limitEdge(options: ClearOptions, limit: number): Uint8Array | undefined {
    const iterator = this.iterator({ ...options, limit, values: false });
    try {
      let last: Uint8Array | undefined;
      for (let entry = iterator.nextSync(); entry !== undefined; entry = iterator.nextSync()) last = entry[0];
      return last;
    } finally {
      iterator.close();
    }
  }

  /** The value of `key`, as a copy the caller owns, or undefined. */
  async get(key: Uint8Array | string): Promise<Uint8Array | undefined> {
    return this.readAt(key, this.pipeline.visibleSeq);
  }

  /**
   * `get` without a promise. Served from memory and the page cache; a page not in the cache
   * is read with one synchronous read per level that may hold the key (bloom filters skip
   * most), so it blocks the thread for that long on a cold cache.
   */
  getSync(key: Uint8Array | string): Uint8Array | undefined {
    return this.readAt(key, this.pipeline.visibleSeq);
  }

  /** The values of `keys` (undefined where absent), all read at one point in time. */
  async getMany(keys: readonly (Uint8Array | string)[]): Promise<(Uint8Array | undefined)[]> {
    return this.readManyAt(keys, this.pipeline.visibleSeq);
  }

  /** Whether `key` is present. */
  async has(key: Uint8Array | string): Promise<boolean> {
    this.ensureOpen();
    return this.lookup(toLookupKey(key), this.pipeline.visibleSeq) !== undefined;
  }

  /** Whether each of `keys` is present, all read at one point in time. */
  async hasMany(keys: readonly (Uint8Array | string)[]): Promise<boolean[]> {
    this.ensureOpen();
    const seq = this.pipeline.visibleSeq;
    return checkKeyList(keys).map((key) => this.lookup(toLookupKey(key), seq) !== undefined);
  }

  /**
   * A consistent view of the database as of now, until `release()`. Works with `await using`:
   * `await using snap = db.snapshot()`.
   */
  snapshot(): Snapshot {
    this.ensureOpen();
    const seq = this.pipeline.visibleSeq;
    this.snapshots.add(seq);
    return new Snapshot(this, seq);
  }

  /** @internal Reads at a sequence number (the current one, or a snapshot's). */
  readAt(key: Uint8Array | string, seq: number): Uint8Array | undefined {
    this.ensureOpen();
    const value = this.lookup(toLookupKey(key), toSeqNum(seq));
    return value === undefined ? undefined : new Uint8Array(value);
  }

  /** @internal Reads of several keys at one sequence number. */
  readManyAt(keys: readonly (Uint8Array | string)[], seq: number): (Uint8Array | undefined)[] {
    this.ensureOpen();
    return checkKeyList(keys).map((key) => {
      const value = this.lookup(toLookupKey(key), toSeqNum(seq));
      return value === undefined ? undefined : new Uint8Array(value);
    });
  }

  /** The user value of `key` at `seq` (a view), or undefined when absent, deleted or expired. */
  private lookup(key: Uint8Array, seq: SeqNum): Uint8Array | undefined {
    const found = this.find(key, seq);
    if (found === undefined || found.kind === EntryKind.Delete) return undefined;
    if (found.kind === EntryKind.PutExpiring && expiryOf(found.value) <= this.clock()) return undefined;
    if (this.rangeTombstoneSeq(key, seq) > found.seq) return undefined;
    return userValueOf(found);
  }

  /** The newest range tombstone at or below `seq` covering `key`, across memtables and files; 0 if none. */
  private rangeTombstoneSeq(key: Uint8Array, seq: SeqNum): number {
    let covering = this.pipeline.active.rangeTombstones.length === 0 ? 0 : this.pipeline.active.rangeTombstoneIndex.coveringSeq(key, seq);
    for (const frozen of this.flusher.immutables) {
      if (frozen.memtable.rangeTombstones.length > 0) covering = Math.max(covering, frozen.memtable.rangeTombstoneIndex.coveringSeq(key, seq));
    }
    const version = this.tables.version;
    if (version !== undefined && version.rangeTombstones.length > 0) covering = Math.max(covering, version.rangeTombstoneIndex.coveringSeq(key, seq));
    return covering;
  }

  /** @internal Called by `Snapshot.release()`. */
  releaseSnapshot(seq: number): void {
    this.snapshots.remove(seq);
  }

  private find(key: Uint8Array, seq: SeqNum): InternalEntry | undefined {
    const inActive = this.pipeline.active.get(key, seq);
    if (inActive !== undefined) return inActive;
    for (const frozen of this.flusher.immutables) {
      const found = frozen.memtable.get(key, seq);
      if (found !== undefined) return found;
    }
    return this.tables.get(key, seq);
  }

  /**
   * Entries in key order (or reverse) within the bounds, read from the state at this call.
   * `keys: false` / `values: false` leave that side empty (not copied). See `DbIterator` for
   * what the iterator pins and when it lets go.
   */
  iterator(options: IteratorOptions = {}): DbIterator {
    return this.iteratorAt(options, this.pipeline.visibleSeq);
  }

  /** @internal Iterators at a sequence number (the current one, or a snapshot's). */
  iteratorAt(options: IteratorOptions, seq: number): DbIterator {
    this.ensureOpen();
    if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('iterator options', `must be an object, got ${describe(options)}`);
    const range = toKeyRange(options);
    const limit = toLimit(options.limit);
    const shape = toShape(options);
    const view = this.tables.acquire();
    const memtables = [this.pipeline.active, ...this.flusher.immutables.map((f) => f.memtable)];
    const sources = [...memtables.map((memtable) => memtable.iterator()), ...view.iterators()];
    const tombstones: RangeTombstone[] = [...view.version.rangeTombstones];
    for (const memtable of memtables) tombstones.push(...memtable.rangeTombstones);
    const rangeTombstones = tombstones.length === 0 ? RangeTombstoneIndex.EMPTY : new RangeTombstoneIndex(tombstones);
    const cursor = new UserCursor({ source: new MergingIterator(sources), snapshotSeq: toSeqNum(seq), range, reverse: options.reverse === true, rangeTombstones, clock: this.clock });
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      view.release();
    };
    const token = {};
    const iterator = new DbIterator({
      cursor, limit, shape,
      isDbOpen: () => this.state === 'open',
      onClose: () => {
        this.abandonedIterators.unregister(token);
        release();
      },
    });
    this.abandonedIterators.register(iterator, release, token);
    return iterator;
  }

  /** Entries with start <= key <= end, in key order. */
  range(start: Uint8Array | string, end: Uint8Array | string): DbIterator {
    return this.iterator({ gte: start, lte: end });
  }

  /** Writes the active memtable (if it holds anything) and every frozen one to page files. */
  async flush(): Promise<void> {
    this.ensureOpen();
    if (!this.pipeline.active.isEmpty) await this.pipeline.switchNow();
    await this.flusher.drain();
  }

  /**
   * Compacts the keys from `start` to `end` (inclusive; open-ended when left out) down to the
   * bottom level, after flushing the memtables, so old versions and tombstones no snapshot
   * needs are dropped and the range is read from one file per level.
   */
  async compactRange(start?: Uint8Array | string, end?: Uint8Array | string): Promise<void> {
    this.ensureOpen();
    const range = { ...(start === undefined ? {} : { start: toKey(start, 'start') }), ...(end === undefined ? {} : { end: toKey(end, 'end') }) };
    await this.flush();
    await this.compactor.compactRange(range);
  }

  /**
   * Writes a consistent, openable copy of the database to `targetDir` (which must not exist
   * or be empty) while writes go on. It holds every write acknowledged before the call.
   */
  async checkpoint(targetDir: string): Promise<void> {
    this.ensureOpen();
    await this.flush();
    const view = this.tables.acquire();
    try {
      await writeCheckpoint({ vfs: this.vfs, sourceDir: this.location, targetDir, version: view.version });
    } finally {
      view.release();
    }
  }

  /**
   * Rebuilds the database in `location` (closed; LOCKED while open) from the page files and
   * WAL segments that verify, dropping what cannot be proven good, and reports what it kept
   * and what it moved to `lost/`.
   */
  static async repair(location: string, options?: { vfs?: Vfs }): Promise<RepairReport> {
    return repairDatabase(resolveOptions({ vfs: options?.vfs }).vfs, location);
  }

  /** Deletes the database in `location` (LOCKED while it is open). Other files are kept. */
  static async destroy(location: string, options?: { vfs?: Vfs }): Promise<void> {
    await destroyDatabase(resolveOptions({ vfs: options?.vfs }).vfs, location);
  }

  /** Counters and sizes for monitoring; cheap to call. */
  stats(): DbStats {
    this.ensureOpen();
    const cache = this.cache.stats;
    const flushes = this.flusher.stats;
    const wal = this.pipeline.wal.queue.stats;
    const compactions = this.compactor.stats;
    const written = compactions.bytesWrittenByLevel.map((bytes, level) => bytes + (level === 0 ? flushes.bytesWritten : 0));
    return {
      levels: this.tables.levelStats().map((level) => ({
        ...level,
        bytesWritten: written[level.level] ?? 0,
        writeAmplification: this.walBytes === 0 ? 0 : (written[level.level] ?? 0) / this.walBytes,
      })),
      compactions: { count: compactions.count, bytesRead: compactions.bytesRead, bytesWritten: compactions.bytesWritten, totalMs: compactions.totalMs, failures: compactions.failures },
      writeAmplification: this.walBytes === 0 ? 0 : (this.walBytes + flushes.bytesWritten + compactions.bytesWritten) / this.walBytes,
      cache: { hits: cache.hits, misses: cache.misses, evictions: cache.evictions, usageBytes: cache.usageBytes, capacityBytes: cache.capacityBytes },
      memtables: {
        activeBytes: this.pipeline.active.memoryBytes,
        immutableCount: this.flusher.immutables.length,
        immutableBytes: this.flusher.immutables.reduce((sum, f) => sum + f.memtable.memoryBytes, 0),
        memtableSizeBytes: this.memtableSizeBytes,
      },
      wal: { segment: this.pipeline.wal.number, groups: wal.groups, records: wal.records, syncs: wal.syncs },
      bytesWritten: this.walBytes + flushes.bytesWritten + compactions.bytesWritten,
      flushes: { count: flushes.count, bytesWritten: flushes.bytesWritten, totalMs: flushes.totalMs, failures: flushes.failures },
      stalls: { count: flushes.stallCount, totalMs: flushes.stallMs, slowdowns: flushes.slowdowns },
      sequence: this.pipeline.visibleSeq,
    };
  }

  /**
   * Waits for writes in flight and the running flush, makes the WAL durable and releases the
   * directory. Frozen memtables not yet flushed stay in their WAL segments and are replayed on
   * the next open. Calls made after `close()` began get NOT_OPEN; closing again returns the
   * same promise.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.state = 'closing';
      this.closing = this.shutDown();
    }
    return this.closing;
  }

  /**
   * Switches out a memtable that has held writes for a whole interval, so its WAL segment is
   * flushed and deleted even when writes are too slow to fill it.
   */
  private startFlushTimer(intervalMs: number): ReturnType<typeof setInterval> {
    let seen: unknown;
    const timer = setInterval(() => {
      const active = this.pipeline.active;
      if (!active.isEmpty && active === seen) this.pipeline.requestSwitch();
      seen = active;
    }, intervalMs);
    timer.unref();
    return timer;
  }

  private async shutDown(): Promise<void> {
    clearInterval(this.flushTimer);
    try {
      // Stop the flusher first: it releases writers stalled for room, so the pipeline can
      // drain. Frozen memtables not yet flushed are replayed from their segments on open.
      await this.compactor.stop();
      await this.flusher.stop();
      await this.pipeline.close();
    } finally {
      await this.tables.close();
      await this.manifest.close();
      await this.lock.release();
      this.state = 'closed';
    }
  }

  /** Forwards background jobs' reports to listeners ('error' only while someone listens). */
  private eventSink(): EngineEventSink {
    return {
      flush: (event) => this.emit('flush', event),
      compaction: (event) => this.emit('compaction', event),
      stall: (event) => this.emit('stall', event),
      backgroundError: (error, info) => {
        if (this.listenerCount('error') > 0) this.emit('error', error instanceof Error ? error : new Error(String(error)), info);
      },
    };
  }

  private ensureOpen(): void {
    if (this.state !== 'open') throw new NotOpenError('database');
  }

  private commit(ops: WriteOp[], sync: boolean): Promise<void> {
    if (this.fixedWidth !== undefined) checkFixedWidth(ops, this.fixedWidth);
    return this.pipeline.commit(ops, sync);
  }
}


function checkKeyList(keys: unknown): readonly unknown[] {
  if (!Array.isArray(keys)) throw new InvalidArgumentError('keys', `must be an array, got ${describe(keys)}`);
  return keys;
}
