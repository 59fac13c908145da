/**
 * The kv engine. Writes are sequenced, logged to the WAL with group commit and applied to the
 * active memtable (`WritePipeline`). A full memtable is frozen and flushed to a level-0 page
 * file in the background (`Flusher`). Reads look in the active memtable, the frozen ones
 * (newest first) and then the page files (`TableSet`).
 */
import { EntryKind, NotOpenError, toFileNum } from '@kv/base';
import type { InternalEntry } from '@kv/base';
import type { Manifest } from '@kv/manifest';
import type { BlockCache } from '@kv/sstable';
import type { VfsLock } from '@kv/vfs';
import { DbIterator } from './db-iterator.js';
import type { DbStats } from './db-stats.js';
import { Flusher } from './flusher.js';
import { toKey } from './input-bytes.js';
import { toKeyRange, toLimit } from './key-range.js';
import type { IteratorOptions } from './key-range.js';
import { MergingIterator } from './merging-iterator.js';
import { openDatabase } from './open-database.js';
import { compressionForLevel, readSyncFlag, resolveOptions } from './options.js';
import type { DbOptions, ResolvedOptions } from './options.js';
import type { TableSet } from './table-set.js';
import { UserCursor } from './user-cursor.js';
import { checkFixedWidth, deleteOp, putOp, toWriteOps } from './write-op.js';
import type { BatchOp, WriteOp } from './write-op.js';
import { WritePipeline } from './write-pipeline.js';

export interface WriteOptions {
  /** Resolve only after the write is on stable storage (fdatasync). Default false: resolve
   *  once the WAL record reached the operating system (survives a process kill). */
  sync?: boolean;
}

type State = 'open' | 'closing' | 'closed';

export class DB {
  readonly location: string;
  private readonly pipeline: WritePipeline;
  private readonly flusher: Flusher;
  private readonly tables: TableSet;
  private readonly cache: BlockCache;
  private readonly manifest: Manifest;
  private readonly lock: VfsLock;
  private readonly fixedWidth: { keySize: number; valueSize: number } | undefined;
  private readonly memtableSizeBytes: number;
  private state: State = 'open';
  private closing: Promise<void> | undefined;
  private walBytes = 0;

  private constructor(location: string, options: ResolvedOptions, opened: Awaited<ReturnType<typeof openDatabase>>) {
    this.location = location;
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
    });
    this.pipeline = new WritePipeline({
      vfs: options.vfs, dir: location, allocateFileNumber: () => toFileNum(opened.manifest.allocateFileNumber()), memtableSizeBytes: this.memtableSizeBytes,
      memtable: opened.memtable, wal: opened.wal, lastSeq: opened.lastSeq,
      hooks: {
        waitForRoom: () => this.flusher.waitForRoom(),
        onFrozen: (frozen) => this.flusher.add(frozen),
        onWalBytes: (bytes) => (this.walBytes += bytes),
        flushBehind: () => this.flusher.behind,
        onSlowdown: () => this.flusher.stats.slowdowns++,
      },
    });
  }

  /** Opens (by default creating) the database in `location`. */
  static async open(location: string, options?: DbOptions): Promise<DB> {
    const resolved = resolveOptions(options);
    const dir = location.length > 1 ? location.replace(/\/+$/, '') : location;
    const opened = await openDatabase(dir, resolved);
    return new DB(dir, resolved, opened);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Inserts or replaces `key`. */
  async put(key: Uint8Array | string, value: Uint8Array | string, options?: WriteOptions): Promise<void> {
    this.ensureOpen();
    return this.commit([putOp(key, value)], readSyncFlag(options));
  }

  /** Removes `key`; removing a missing key is a no-op. */
  async delete(key: Uint8Array | string, options?: WriteOptions): Promise<void> {
    this.ensureOpen();
    return this.commit([deleteOp(key)], readSyncFlag(options));
  }

  /** Applies every operation or none. A later operation on the same key wins. */
  async write(ops: readonly BatchOp[], options?: WriteOptions): Promise<void> {
    this.ensureOpen();
    return this.commit(toWriteOps(ops), readSyncFlag(options));
  }

  /** The value of `key`, as a copy the caller owns, or undefined. */
  async get(key: Uint8Array | string): Promise<Uint8Array | undefined> {
    this.ensureOpen();
    const found = this.find(toKey(key));
    return found === undefined || found.kind !== EntryKind.Put ? undefined : new Uint8Array(found.value);
  }

  private find(key: Uint8Array): InternalEntry | undefined {
    const seq = this.pipeline.visibleSeq;
    const inActive = this.pipeline.active.get(key, seq);
    if (inActive !== undefined) return inActive;
    for (const frozen of this.flusher.immutables) {
      const found = frozen.memtable.get(key, seq);
      if (found !== undefined) return found;
    }
    return this.tables.get(key, seq);
  }

  /** Entries in key order (or reverse) within the bounds, read from the state at this call. */
  iterator(options: IteratorOptions = {}): DbIterator {
    this.ensureOpen();
    const sources = [this.pipeline.active.iterator(), ...this.flusher.immutables.map((f) => f.memtable.iterator()), ...this.tables.iterators()];
    const cursor = new UserCursor({
      source: new MergingIterator(sources),
      snapshotSeq: this.pipeline.visibleSeq,
      range: toKeyRange(options),
      reverse: options.reverse === true,
    });
    return new DbIterator({ cursor, limit: toLimit(options.limit), isDbOpen: () => this.state !== 'closed' });
  }

  /** Entries with start <= key <= end, in key order. */
  range(start: Uint8Array | string, end: Uint8Array | string): DbIterator {
    return this.iterator({ gte: start, lte: end });
  }

  /** Writes the active memtable (if it holds anything) and every frozen one to page files. */
  async flush(): Promise<void> {
    this.ensureOpen();
    if (this.pipeline.active.entryCount > 0) await this.pipeline.switchNow();
    await this.flusher.drain();
  }

  /** Counters and sizes for monitoring; cheap to call. */
  stats(): DbStats {
    this.ensureOpen();
    const cache = this.cache.stats;
    const flushes = this.flusher.stats;
    const wal = this.pipeline.wal.queue.stats;
    return {
      levels: this.tables.levelStats(),
      cache: { hits: cache.hits, misses: cache.misses, evictions: cache.evictions, usageBytes: cache.usageBytes, capacityBytes: cache.capacityBytes },
      memtables: {
        activeBytes: this.pipeline.active.memoryBytes,
        immutableCount: this.flusher.immutables.length,
        immutableBytes: this.flusher.immutables.reduce((sum, f) => sum + f.memtable.memoryBytes, 0),
        memtableSizeBytes: this.memtableSizeBytes,
      },
      wal: { segment: this.pipeline.wal.number, groups: wal.groups, records: wal.records, syncs: wal.syncs },
      bytesWritten: this.walBytes + flushes.bytesWritten,
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

  private async shutDown(): Promise<void> {
    try {
      await this.pipeline.close();
      await this.flusher.stop();
    } finally {
      await this.tables.close();
      await this.manifest.close();
      await this.lock.release();
      this.state = 'closed';
    }
  }

  private ensureOpen(): void {
    if (this.state !== 'open') throw new NotOpenError('database');
  }

  private commit(ops: WriteOp[], sync: boolean): Promise<void> {
    if (this.fixedWidth !== undefined) checkFixedWidth(ops, this.fixedWidth);
    return this.pipeline.commit(ops, sync);
  }
}

