/**
 * The kv engine. Writes are sequenced, logged to the WAL with group commit and applied to the
 * active memtable (`WritePipeline`). A full memtable is frozen and flushed to a level-0 page
 * file in the background (`Flusher`). Reads look in the active memtable, the frozen ones
 * (newest first) and then the page files (`TableSet`); the newest version found is hidden
 * when it is a delete, has expired, or is older than a range tombstone covering its key.
 */
import { IoError, toFileNum } from '@kv/base';
import { BuildPriority, CompactionWorkerPool } from '@kv/compaction';
import type { Manifest } from '@kv/manifest';
import type { Memtable } from '@kv/memtable';
import type { BlockCache } from '@kv/sstable';
import { NodeVfs } from '@kv/vfs';
import type { Vfs, VfsLock } from '@kv/vfs';
import { prepareBatch } from './batch-codec.js';
import { writeCheckpoint } from './checkpoint.js';
import { planClear } from './clear-range.js';
import { BATCH_OPS_MAX } from './limits.js';
import { Compactor } from './compactor.js';
import { forwardEvents } from './db-events.js';
import { DbReader } from './db-reader.js';
import type { ReadState } from './db-reader.js';
import { collectStats } from './db-stats.js';
import type { DbStats } from './db-stats.js';
import { destroyDatabase } from './destroy-database.js';
import { Flusher, PAIRED_FLUSH_BELOW_BYTES } from './flusher.js';
import { checkLocation, toKey } from './input-bytes.js';
import type { ClearOptions } from './key-range.js';
import { cacheCapacityFor } from './memory-plan.js';
import type { MemoryPlan } from './memory-plan.js';
import { openDatabase } from './open-database.js';
import { compressionForLevel, readSyncFlag, resolveOptions } from './options.js';
import type { DbOptions, ReadOnlyOpenOptions, ResolvedOptions } from './options.js';
import { ReadOnlyDB } from './read-only-db.js';
import { repairDatabase } from './repair-database.js';
import type { RepairReport } from './repair-database.js';
import type { TableSet } from './table-set.js';
import { checkFixedWidth, deleteOp, putOp, rangeDeleteOp, readTtlOption, toWriteOps } from './write-op.js';
import type { BatchOp, WriteOp } from './write-op.js';
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

/**
 * Background jobs one worker thread runs at once: a flush and a compaction. The compaction
 * pauses at its next yield while the flush's build runs (`BuildPriority`), as LevelDB's single
 * background thread flushes a memtable between compaction steps; the pool also queues table
 * builds ahead of compactions. One worker instead of one per kind of job saves an isolate and
 * its heap.
 */
const BACKGROUND_JOBS_AT_ONCE = 2;

/**
 * A background worker idle this long is stopped, and the next flush or compaction starts a
 * new one. An idle worker holds its isolate, code and heap, measured at 11–15 MiB of RSS. A
 * new one is started ahead of need once the active memtable is half full
 * (`warmBackgroundWorker`), so a flush does not wait for its start and module loading; its
 * first jobs still run cold code.
 */
const BACKGROUND_WORKER_IDLE_MS = 10_000;

export class DB extends DbReader {
  readonly location: string;
  private readonly pipeline: WritePipeline;
  private readonly flusher: Flusher;
  private readonly compactor: Compactor;
  private readonly backgroundPool: CompactionWorkerPool | undefined;
  private readonly tables: TableSet;
  private readonly cache: BlockCache;
  private readonly manifest: Manifest;
  private readonly lock: VfsLock;
  private readonly vfs: Vfs;
  private readonly fixedWidth: { keySize: number; valueSize: number } | undefined;
  private readonly memtableSizeBytes: number;
  private readonly memory: MemoryPlan;
  private memtables: readonly Memtable[] = [];
  private closing: Promise<void> | undefined;
  private walBytes = 0;
  private readonly flushTimer: ReturnType<typeof setInterval> | undefined;
  private readonly flushOnClose: boolean;

  private constructor(location: string, options: ResolvedOptions, opened: Awaited<ReturnType<typeof openDatabase>>) {
    super(options.clock);
    this.location = location;
    const events = forwardEvents(this);
    this.vfs = options.vfs;
    this.tables = opened.tables;
    this.cache = opened.cache;
    this.manifest = opened.manifest;
    this.lock = opened.lock;
    this.fixedWidth = opened.fixedWidth;
    this.memtableSizeBytes = options.memory.memtableSizeBytes;
    this.memory = options.memory;
    const build = {
      pageSizeBytes: opened.pageSizeBytes,
      compression: compressionForLevel(options.compression, 0),
      bloomBitsPerKey: options.bloomBitsPerKey,
      ...(opened.fixedWidth === undefined ? {} : { fixedWidth: opened.fixedWidth }),
    };
    // Background jobs run in a worker thread on the real file system, inline on any other.
    // Flushes and compactions share one worker (see BACKGROUND_JOBS_AT_ONCE).
    this.backgroundPool = options.vfs instanceof NodeVfs ? new CompactionWorkerPool({ threads: 1, jobsPerThread: BACKGROUND_JOBS_AT_ONCE, idleMs: BACKGROUND_WORKER_IDLE_MS }) : undefined;
    const pool = this.backgroundPool;
    // Inline flushes go ahead of this database's inline compactions (a worker keeps its own).
    const priority = new BuildPriority();
    this.flusher = new Flusher({
      vfs: options.vfs, dir: location, manifest: opened.manifest, tables: opened.tables, build,
      activeWalNumber: () => this.pipeline.wal.number,
      snapshots: () => this.snapshots.sequences(),
      onInstalled: () => {
        // The cached list may hold the memtable just dropped: let it go now, not at the next read.
        this.memtables = [];
        this.lendCacheMemtableMemory();
        this.compactor.kick();
      },
      events,
      pool,
      priority,
      pairFlushes: this.memtableSizeBytes < PAIRED_FLUSH_BELOW_BYTES,
    });
    this.flushOnClose = options.flushOnClose;
    this.flushTimer = options.flushIntervalMs === undefined ? undefined : this.startFlushTimer(options.flushIntervalMs);
    this.compactor = new Compactor({
      vfs: options.vfs, dir: location, manifest: opened.manifest, tables: opened.tables, policy: options.compaction,
      buildFor: (level) => ({ ...build, compression: compressionForLevel(options.compression, level) }),
      snapshots: () => this.snapshots.sequences(),
      visibleSeq: () => this.pipeline.visibleSeq,
      pool,
      priority,
      clock: this.clock,
      events,
    });
    this.pipeline = new WritePipeline({
      vfs: options.vfs, dir: location, allocateFileNumber: () => toFileNum(this.manifest.allocateFileNumber()), memtableSizeBytes: this.memtableSizeBytes,
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
        onApplied: () => {
          this.lendCacheMemtableMemory();
          this.warmBackgroundWorker();
        },
        writesRefused: () => this.manifestFailure(),
      },
    });
    this.lendCacheMemtableMemory();
  }

  /**
   * Opens (by default creating) the database in `location`. With `readOnly: true` it opens a
   * `ReadOnlyDB` instead: no lock, no writes, a view of the directory refreshed on demand.
   */
  static open(location: string, options: ReadOnlyOpenOptions): Promise<ReadOnlyDB>;
  static open(location: string, options?: DbOptions): Promise<DB>;
  static async open(location: string, options?: DbOptions | ReadOnlyOpenOptions): Promise<DB | ReadOnlyDB> {
    checkLocation(location);
    const resolved = resolveOptions(options);
    const dir = location.length > 1 ? location.replace(/\/+$/, '') : location;
    if (resolved.readOnly) return ReadOnlyDB.openReadOnly(dir, resolved);
    const opened = await openDatabase(dir, resolved);
    const db = new DB(dir, resolved, opened);
    // Level 0 may already be over its trigger (many flushes before a crash, say). Started on
    // the next turn: planning a compaction and starting its worker take milliseconds of this
    // thread, which the caller of open should not wait for. A close before then stops it.
    setImmediate(() => db.compactor.kick());
    return db;
  }

  /** Inserts or replaces `key`; with `ttl`, the entry expires that many milliseconds from now. */
  put(key: Uint8Array | string, value: Uint8Array | string, options?: PutOptions): Promise<void> {
    return this.commitCall(() => [putOp(key, value, readTtlOption(options), this.clock)], options);
  }

  /** Removes `key`; removing a missing key is a no-op. */
  delete(key: Uint8Array | string, options?: WriteOptions): Promise<void> {
    return this.commitCall(() => [deleteOp(key)], options);
  }

  /**
   * Applies every operation or none. A later operation on the same key wins. `delRange`
   * deletes the keys in [start, end) as one range tombstone, whatever their number.
   */
  write(ops: readonly BatchOp[], options?: WriteOptions): Promise<void> {
    return this.commitCall(() => toWriteOps(ops, this.clock), options);
  }

  /**
   * Deletes every key inside the bounds (all keys when none are given) atomically, with one
   * range tombstone. With `limit`, the first `limit` keys in iteration order (`reverse`
   * counts from the top) as of the call, by point deletes in one batch (several batches of
   * BATCH_OPS_MAX beyond that, each atomic).
   */
  async clear(options: ClearOptions = {}): Promise<void> {
    this.ensureOpen();
    const plan = planClear(options, (bounds) => this.iterator(bounds));
    if (plan === undefined) return;
    if (plan.kind === 'range') return this.commit([rangeDeleteOp(plan.start, plan.end)], false);
    for (let from = 0; from < plan.keys.length; from += BATCH_OPS_MAX) {
      await this.commit(plan.keys.slice(from, from + BATCH_OPS_MAX).map((key) => deleteOp(key)), false);
    }
  }

  /** Writes the active memtable (if it holds anything) and every frozen one to page files. */
  async flush(): Promise<void> {
    this.ensureOpen();
    const refused = this.manifestFailure();
    if (refused !== undefined) throw refused;
    if (!this.pipeline.active.isEmpty) await this.pipeline.switchNow();
    await this.flusher.drain().catch((error: unknown) => {
      throw this.manifestFailure(error) ?? error;
    });
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
    const refused = this.manifestFailure();
    if (refused !== undefined) throw refused;
    await this.compactor.compactRange(range).catch((error: unknown) => {
      throw this.manifestFailure(error) ?? error;
    });
  }

  /**
   * Writes a consistent, openable copy of the database to `targetDir` (which must not exist
   * or be empty) while writes go on. It holds every write acknowledged before the call.
   */
  async checkpoint(targetDir: string): Promise<void> {
    this.ensureOpen();
    checkLocation(targetDir, 'checkpoint directory');
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
    return repairDatabase(resolveOptions({ vfs: options?.vfs }).vfs, checkLocation(location));
  }

  /** Deletes the database in `location` (LOCKED while it is open). Other files are kept. */
  static async destroy(location: string, options?: { vfs?: Vfs }): Promise<void> {
    await destroyDatabase(resolveOptions({ vfs: options?.vfs }).vfs, checkLocation(location));
  }

  /** Counters and sizes for monitoring; cheap to call. */
  stats(): DbStats {
    this.ensureOpen();
    return collectStats({ tables: this.tables, cache: this.cache, flusher: this.flusher, compactor: this.compactor, pipeline: this.pipeline, walBytes: this.walBytes, memtableSizeBytes: this.memtableSizeBytes, backgroundWorkers: this.backgroundPool?.workerCount ?? 0 });
  }

  /**
   * Waits for writes in flight, writes the memtables to page files (`flushOnClose`, default
   * on), makes the WAL durable and releases the directory. Memtables not flushed (the option
   * is off, or the flush failed) stay in their WAL segments and are replayed on the next
   * open. Calls made after `close()` began get NOT_OPEN; closing again returns the same
   * promise.
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
    // Weak: a memtable switched out and flushed within the interval must not wait for the next tick to be freed.
    let seen: WeakRef<Memtable> | undefined;
    const timer = setInterval(() => {
      const active = this.pipeline.active;
      if (!active.isEmpty && active === seen?.deref()) this.pipeline.requestSwitch();
      seen = new WeakRef(active);
      // A small memtable frozen since the last tick may still wait for a partner: it goes now.
      // (Half the interval: the switch a tick requests completes a little after the tick.)
      this.flusher.flushWaiting(intervalMs / 2);
    }, intervalMs);
    timer.unref();
    return timer;
  }

  private async shutDown(): Promise<void> {
    clearInterval(this.flushTimer);
    try {
      await this.compactor.stop();
      if (this.flushOnClose) await this.flushBeforeClose();
      // Stop the flusher before the pipeline: it releases writers stalled for room, so the
      // pipeline can drain. Frozen memtables not yet flushed are replayed from their segments.
      await this.flusher.stop();
      await this.pipeline.close();
    } finally {
      await this.backgroundPool?.close();
      await this.tables.close();
      await this.manifest.close();
      await this.lock.release();
      this.state = 'closed';
    }
  }

  /**
   * Writes everything acknowledged so far to page files, so the next open replays nothing.
   * Best effort: on any failure the writes stay in the WAL (which `pipeline.close` syncs).
   */
  private async flushBeforeClose(): Promise<void> {
    if (this.manifestFailure() !== undefined || this.flusher.fatalError !== undefined) return;
    try {
      await this.pipeline.drainWrites();
      if (!this.pipeline.active.isEmpty) await this.pipeline.switchNow();
      await this.flusher.drain();
    } catch {
      // Left in the WAL; the error was already reported through the `error` event.
    }
  }

  /**
   * After a failed manifest sync nothing logged since the last good sync can be proven
   * durable, and flushes and compactions have stopped: like a failed WAL sync, the database
   * takes no more writes (reads go on) until it is reopened, which recovers what is on disk.
   */
  private manifestFailure(error?: unknown): IoError | undefined {
    if (!this.manifest.failed) return undefined;
    const cause = this.flusher.fatalError ?? this.compactor.fatalError ?? error;
    const detail = cause instanceof Error ? ` (${cause.message})` : '';
    return new IoError('database', `a manifest sync failed${detail}; the database is read-only until reopened`, { cause });
  }

  /** Sizes the block cache to the budget the memtables leave unused now (see memory-plan.ts). */
  private lendCacheMemtableMemory(): void {
    if (!this.memory.cacheFollowsMemtables) return;
    let memtableBytes = this.pipeline.active.memoryBytes;
    for (const frozen of this.flusher.immutables) memtableBytes += frozen.memtable.memoryBytes;
    this.cache.setCapacity(cacheCapacityFor(this.memory, memtableBytes));
  }

  /**
   * Starts the background worker once the active memtable is half full, so the flush that
   * follows finds it running instead of waiting for its start and module loading.
   */
  private warmBackgroundWorker(): void {
    const pool = this.backgroundPool;
    if (pool === undefined || pool.workerCount > 0) return;
    if (this.pipeline.active.memoryBytes * 2 >= this.memtableSizeBytes) pool.prestart();
  }

  /** @internal What reads see: the active memtable, the frozen ones (newest first), the page files. */
  protected readState(): ReadState {
    return { memtables: this.memtableList(), tables: this.tables, visibleSeq: this.pipeline.visibleSeq };
  }

  /**
   * The active memtable, then the frozen ones newest first; rebuilt only when that changes.
   * Every change shows in the key: a switch replaces the active memtable, a flush shortens
   * the frozen list.
   */
  private memtableList(): readonly Memtable[] {
    const active = this.pipeline.active;
    const frozen = this.flusher.immutables;
    const cached = this.memtables;
    if (cached[0] !== active || cached.length !== frozen.length + 1) this.memtables = [active, ...frozen.map((f) => f.memtable)];
    return this.memtables;
  }

  /**
   * A public write call: checks the database is open and the options, builds the operations
   * with `makeOps`, then commits them; any error rejects the returned promise. Not an `async`
   * function, so the caller waits for the commit's own promise, not for one that adopts it
   * (two microtasks fewer per write).
   */
  private commitCall(makeOps: () => WriteOp[], options: WriteOptions | undefined): Promise<void> {
    try {
      this.ensureOpen();
      const sync = readSyncFlag(options);
      return this.commit(makeOps(), sync);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /** Validates and encodes `ops` now (the caller's buffers are free once this returns), then commits. */
  private commit(ops: WriteOp[], sync: boolean): Promise<void> {
    if (this.fixedWidth !== undefined) checkFixedWidth(ops, this.fixedWidth);
    return this.pipeline.commit(prepareBatch(ops), sync);
  }
}
