/**
 * Background flush: writes frozen memtables to level-0 page files, oldest first, one at a
 * time. Each flush follows the crash-safe order
 *   write page file → fdatasync it → fsync the directory → log the manifest edit (durable)
 *   → install the new version for reads → drop the memtable → delete its WAL segment,
 * so a crash at any point either leaves the segment (replayed on open, the partial page file
 * deleted as an orphan) or the page file recorded in the manifest (the segment obsolete).
 *
 * A failed flush is retried with backoff; the memtable stays readable meanwhile and writers
 * wait for room once the frozen memtables reach their limit.
 *
 * On the real file system the page file is encoded and written by the engine's background
 * worker thread, which compactions share; a running compaction pauses while the build runs
 * (`BuildPriority`), so a flush never waits for a long compaction. The main thread only packs
 * the memtable's entries for it (see `flush-job.ts`). A memtable is packed
 * as soon as it is frozen, so the packing overlaps the flush before it. A memtable whose
 * bytes the job would copy (not shared memory) beyond `WORKER_FLUSH_DATA_BYTES_MAX` is built
 * inline.
 */
import { toFileNum } from '@kv/base';
import type { BuildPriority, CompactionWorkerPool } from '@kv/compaction';
import type { FileNum, PackedEntries } from '@kv/base';
import type { TableBuildJobInput } from '@kv/compaction';
import type { Manifest } from '@kv/manifest';
import type { TableBuildOptions } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { RetryBackoff, classifyFailure } from './background-retry.js';
import { logFileName } from './file-names.js';
import { flushMemtable, packMemtable } from './flush-job.js';
import { IMMUTABLE_MEMTABLES_MAX } from './memory-plan.js';
import type { TableSet } from './table-set.js';
import type { EngineEventSink } from './db-events.js';
import type { FrozenMemtable } from './write-pipeline.js';

/**
 * The most bytes of unshared buffers a packed memtable may reference to be built in the flush
 * worker. Posting the job clones those buffers, and the worker holds the copy beside the
 * memtable itself until its next garbage collection; past this, the extra memory would be
 * larger than the main-thread time saved is worth. The engine's batch payloads are shared
 * memory (`byte-allocators.ts`), which the worker shares instead of copying, so this limits
 * only a memtable whose bytes are not (one that copied its keys and values).
 */
export const WORKER_FLUSH_DATA_BYTES_MAX: number = 32 * 1024 * 1024;

export interface FlushStats {
  count: number;
  bytesWritten: number;
  totalMs: number;
  failures: number;
  stallCount: number;
  stallMs: number;
  slowdowns: number;
}

interface FlushOutcome {
  bytesWritten: number;
  fileNumber: number | undefined;
}

export interface FlusherContext {
  vfs: Vfs;
  dir: string;
  manifest: Manifest;
  tables: TableSet;
  build: TableBuildOptions;
  /** The WAL segment the write path is appending to now. */
  activeWalNumber(): FileNum;
  /** Live snapshot sequence numbers, ascending. */
  snapshots(): number[];
  /** Called after each flush's version is installed and its memtable dropped (compaction may be due). */
  onInstalled(): void;
  events: EngineEventSink;
  /** Where page files are built, off the main thread (real file system only); inline when undefined. */
  pool: CompactionWorkerPool | undefined;
  /** Inline builds count here, so the database's inline compactions pause meanwhile. */
  priority: BuildPriority;
}

export class Flusher {
  /** Frozen memtables waiting to be flushed, newest first (the order reads search them). */
  readonly immutables: FrozenMemtable[] = [];
  readonly stats: FlushStats = { count: 0, bytesWritten: 0, totalMs: 0, failures: 0, stallCount: 0, stallMs: 0, slowdowns: 0 };
  lastError: unknown;
  /** An error retrying cannot cure (a failed manifest, corruption, a bug): flushing stopped. */
  fatalError: unknown;
  private readonly context: FlusherContext;
  private running: Promise<void> | undefined;
  private roomWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private drainWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private stopped = false;
  private readonly backoff = new RetryBackoff();
  /** Flushes whose manifest edit is logged but whose install has not finished. */
  private readonly committed = new Map<FrozenMemtable, FlushOutcome>();
  /** Frozen memtables' entries, packed (or being packed) ahead of their flush. */
  private readonly packs = new Map<FrozenMemtable, Promise<PackedEntries>>();

  constructor(context: FlusherContext) {
    this.context = context;
  }

  add(frozen: FrozenMemtable): void {
    this.immutables.unshift(frozen);
    if (this.fatalError !== undefined) return;
    const packed = packMemtable(frozen.memtable);
    // A failure shows where the flush takes the pack.
    packed.catch(() => undefined);
    this.packs.set(frozen, packed);
    this.running ??= this.run().finally(() => {
      this.running = undefined;
      for (const waiter of this.drainWaiters.splice(0)) waiter.resolve();
    });
  }

  /** Whether frozen memtables have reached their limit (the next switch would stall). */
  get behind(): boolean {
    return this.immutables.length >= IMMUTABLE_MEMTABLES_MAX;
  }

  /**
   * Resolves once fewer than the maximum number of frozen memtables wait (time counted as
   * stall). Rejects with the flush's error when a flush fails meanwhile, so a stalled writer
   * fails (NO_SPACE on a full disk, say) instead of hanging; a later write tries again.
   */
  async waitForRoom(): Promise<void> {
    if (this.fatalError !== undefined) throw this.fatalError;
    if (this.immutables.length < IMMUTABLE_MEMTABLES_MAX) return;
    const started = performance.now();
    this.stats.stallCount++;
    try {
      while (this.immutables.length >= IMMUTABLE_MEMTABLES_MAX && !this.stopped) {
        await new Promise<void>((resolve, reject) => this.roomWaiters.push({ resolve, reject }));
      }
    } finally {
      const durationMs = performance.now() - started;
      this.stats.stallMs += durationMs;
      this.context.events.stall({ cause: 'memtables', durationMs });
    }
  }

  /** Resolves when nothing is waiting to be flushed; rejects with the error of the next failed flush. */
  drain(): Promise<void> {
    if (this.fatalError !== undefined && this.immutables.length > 0) return Promise.reject(this.fatalError);
    if (this.running === undefined) return Promise.resolve();
    return new Promise((resolve, reject) => this.drainWaiters.push({ resolve, reject }));
  }

  /** Stops retrying after the current flush; waiters are released. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.backoff.cancel();
    for (const waiter of this.roomWaiters.splice(0)) waiter.resolve();
    await this.running;
  }

  private async run(): Promise<void> {
    while (this.immutables.length > 0 && !this.stopped) {
      const oldest = this.immutables[this.immutables.length - 1] as FrozenMemtable;
      try {
        await this.flush(oldest);
        this.backoff.reset();
      } catch (error) {
        const { reported, fatal } = classifyFailure('flush', error, this.context.manifest.failed);
        this.lastError = reported;
        this.context.events.backgroundError(reported, { job: 'flush', willRetry: !fatal });
        this.stats.failures++;
        for (const waiter of [...this.drainWaiters.splice(0), ...this.roomWaiters.splice(0)]) waiter.reject(reported);
        if (fatal) {
          this.fatalError = reported;
          return;
        }
        await this.backoff.wait();
      }
    }
  }

  /**
   * Flushes `frozen`. Once its manifest edit is logged the flush is committed: a failure
   * after that (installing the new version, say) retries only the install, never the write
   * and the edit, which would record the same entries in a second level-0 file.
   */
  private async flush(frozen: FrozenMemtable): Promise<void> {
    const started = performance.now();
    let outcome = this.committed.get(frozen);
    if (outcome === undefined) {
      outcome = await this.writeAndRecord(frozen);
      this.committed.set(frozen, outcome);
    }
    const { vfs, dir, manifest, tables } = this.context;
    await tables.install(manifest.current);
    this.committed.delete(frozen);
    this.immutables.pop();
    this.context.onInstalled();
    for (const waiter of this.roomWaiters.splice(0)) waiter.resolve();
    // The segment is obsolete now (the manifest says so); if it cannot be removed here, open
    // removes it later.
    await vfs.unlink(`${dir}/${logFileName(frozen.walNumber)}`).catch(() => undefined);
    this.stats.count++;
    const durationMs = performance.now() - started;
    this.stats.bytesWritten += outcome.bytesWritten;
    this.stats.totalMs += durationMs;
    const { memtable } = frozen;
    this.context.events.flush({ ...outcome, entries: memtable.entryCount, rangeTombstones: memtable.rangeTombstones.length, durationMs });
  }

  /**
   * Writes the page file (if the memtable holds entries) and logs the edit that records it
   * and the memtable's range tombstones.
   */
  private async writeAndRecord(frozen: FrozenMemtable): Promise<FlushOutcome> {
    const { vfs, dir, manifest } = this.context;
    const allocateFileNumber = (): FileNum => toFileNum(manifest.allocateFileNumber());
    // A pack is used once: a worker takes its arrays, so a retry packs again.
    const packed = this.packs.get(frozen) ?? packMemtable(frozen.memtable);
    this.packs.delete(frozen);
    // Posting a run copies its unshared buffers into the worker, where the copy lives until
    // the worker's next garbage collection: a memtable of many such bytes is built inline.
    const pool = unsharedBytes(await packed) <= WORKER_FLUSH_DATA_BYTES_MAX ? this.context.pool : undefined;
    const buildTable = pool === undefined ? undefined : (input: TableBuildJobInput) => pool.buildTable(input);
    const flushed = await flushMemtable({ vfs, dir, memtable: frozen.memtable, build: this.context.build, snapshots: this.context.snapshots(), allocateFileNumber, packed, priority: this.context.priority, ...(buildTable === undefined ? {} : { buildTable }) });
    try {
      if (flushed.path !== undefined) await vfs.syncDir(dir);
      await manifest.logAndApply({ ...flushed.edit, logNumber: this.oldestNeededWal(frozen) });
    } catch (error) {
      // Unless the edit's fate is unknown (a failed manifest may have made it durable), the
      // page file is an orphan: remove it now rather than leak a memtable of disk per retry.
      if (!manifest.failed && flushed.path !== undefined) await vfs.unlink(flushed.path).catch(() => undefined);
      throw error;
    }
    return { bytesWritten: flushed.bytesWritten, fileNumber: flushed.edit.addedFiles?.[0]?.fileNumber };
  }


  /** After `flushed` is in a page file, the oldest segment still holding unflushed writes. */
  private oldestNeededWal(flushed: FrozenMemtable): number {
    const remaining = this.immutables.filter((frozen) => frozen !== flushed).map((frozen) => frozen.walNumber);
    return Math.min(this.context.activeWalNumber(), ...remaining);
  }
}

/** Bytes of the buffers `packed` references that posting it to a worker would copy. */
function unsharedBytes(packed: PackedEntries): number {
  let bytes = 0;
  for (const buffer of packed.buffers) if (!(buffer instanceof SharedArrayBuffer)) bytes += buffer.byteLength;
  return bytes;
}
