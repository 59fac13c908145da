/**
 * Background flush: writes frozen memtables to level-0 page files, oldest first, one flush at
 * a time. Each flush follows the crash-safe order
 *   write page file → fdatasync it → fsync the directory → log the manifest edit (durable)
 *   → install the new version for reads → drop the memtables → delete their WAL segments,
 * so a crash at any point either leaves the segments (replayed on open, the partial page file
 * deleted as an orphan) or the page file recorded in the manifest (the segments obsolete).
 *
 * Small memtables are flushed in pairs (`pairFlushes`, for a `memtableSize` under
 * `PAIRED_FLUSH_BELOW_BYTES`): the first frozen memtable waits for the second, and one page
 * file and one manifest edit take both, retiring both segments at once. A level-0 file twice
 * the size halves the level-0 compactions, each of which rewrites the overlapping part of
 * level 1, so a small memory budget writes less and compacts less. A memtable waits alone only
 * until a second is frozen, `drain` is called (`flush()`, `compactRange()`, closing), or, with
 * a flush interval, it has waited that long (`flushWaiting`).
 *
 * A failed flush is retried with backoff; the memtable stays readable meanwhile and writers
 * wait for room once the frozen memtables reach their limit.
 *
 * On the real file system the page file is encoded and written by the engine's background
 * worker thread, which compactions share; a running compaction pauses while the build runs
 * (`BuildPriority`), so a flush never waits for a long compaction. The main thread only hands
 * over the memtable's store and its ids in internal order (see `flush-job.ts`). A memtable
 * whose bytes the job would copy (not shared memory) beyond `WORKER_FLUSH_DATA_BYTES_MAX` is
 * built inline.
 */
import { toFileNum } from '@kv/base';
import type { BuildPriority, CompactionWorkerPool } from '@kv/compaction';
import type { FileNum, IndexedEntries } from '@kv/base';
import type { TableBuildJobInput } from '@kv/compaction';
import type { Manifest } from '@kv/manifest';
import type { TableBuildOptions } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { RetryBackoff, classifyFailure } from './background-retry.js';
import { logFileName } from './file-names.js';
import { flushMemtables } from './flush-job.js';
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

/**
 * Memtables smaller than this (`memtableSize`) are flushed two at a time. Measured with the
 * benchmark's 1M random fill (three interleaved rounds per size; docs/bench/history.md):
 * pairs ran 30-40% faster with 2 MiB memtables (an 8 MiB budget), about 20% with 4 and
 * 10 MiB, and 15% with 8 MiB, writing less each time; there level-0 compactions stalled
 * writers, and a level-0 file twice the size halves them. With 12 and 16 MiB memtables (48
 * and 64 MiB budgets) pairs were 25-30% slower: the fill made few level-0 files, the flush was
 * the bottleneck, and a memtable waiting for a partner left the worker idle. So the default
 * budget's 16 MiB memtables are flushed one by one.
 */
export const PAIRED_FLUSH_BELOW_BYTES: number = 12 * 1024 * 1024;

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

/** A flush whose manifest edit is logged: `group` (oldest first) is in the page file. */
interface CommittedFlush {
  group: readonly FrozenMemtable[];
  outcome: FlushOutcome;
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
  /** Flush memtables two at a time (see the header). */
  pairFlushes: boolean;
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
  /** The flush whose manifest edit is logged but whose install has not finished. */
  private committed: CommittedFlush | undefined;
  /**
   * Set by `drain` and `flushWaiting`: this memtable and every older one are flushed without
   * waiting for a partner. Memtables frozen later pair again (a `flush()` in the middle of a
   * fill does not turn pairing off).
   */
  private flushThrough: FrozenMemtable | undefined;
  constructor(context: FlusherContext) {
    this.context = context;
  }

  add(frozen: FrozenMemtable): void {
    this.immutables.unshift(frozen);
    if (this.fatalError !== undefined) return;
    this.start();
  }

  /** Flushes, by itself, a memtable frozen at least `waitedMs` ago that waits for a partner. */
  flushWaiting(waitedMs: number): void {
    const waiting = this.immutables.length === 1 ? this.immutables[0] : undefined;
    if (waiting === undefined || performance.now() - waiting.frozenAt < waitedMs) return;
    this.flushThrough = waiting;
    this.start();
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

  /**
   * Resolves once every memtable frozen before the call is flushed (a waiting one by itself);
   * rejects with the error of the next failed flush.
   */
  drain(): Promise<void> {
    if (this.fatalError !== undefined && this.immutables.length > 0) return Promise.reject(this.fatalError);
    if (this.immutables.length > 0) {
      this.flushThrough = this.immutables[0];
      this.start();
    }
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

  /** Runs the flushes due (none after a fatal error), unless they are running. */
  private start(): void {
    if (this.fatalError !== undefined) return;
    this.running ??= this.run().finally(() => {
      this.running = undefined;
      // A flush that fell due after `run` found none (a `drain` in that gap asked for the
      // waiting memtable) gets a new run; the drain resolves when that one ends.
      if (!this.stopped && this.fatalError === undefined && this.nextGroup() !== undefined) {
        this.start();
        return;
      }
      for (const waiter of this.drainWaiters.splice(0)) waiter.resolve();
    });
  }

  /** The memtables the next flush writes, oldest first; undefined when none is due. */
  private nextGroup(): readonly FrozenMemtable[] | undefined {
    const count = this.immutables.length;
    if (count === 0) return undefined;
    // A logged edit names its memtables: only the install is retried.
    if (this.committed !== undefined) return this.committed.group;
    const oldest = this.immutables[count - 1] as FrozenMemtable;
    if (!this.context.pairFlushes) return [oldest];
    if (count >= 2) return [oldest, this.immutables[count - 2] as FrozenMemtable];
    return oldest === this.flushThrough ? [oldest] : undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const group = this.nextGroup();
      if (group === undefined) return;
      try {
        await this.flush(group);
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
   * Flushes `group` (the oldest frozen memtables, oldest first). Once its manifest edit is
   * logged the flush is committed: a failure after that (installing the new version, say)
   * retries only the install, never the write and the edit, which would record the same
   * entries in a second level-0 file.
   */
  private async flush(group: readonly FrozenMemtable[]): Promise<void> {
    const started = performance.now();
    let outcome = this.committed?.outcome;
    if (outcome === undefined) {
      outcome = await this.writeAndRecord(group);
      this.committed = { group, outcome };
    }
    const { vfs, dir, manifest, tables } = this.context;
    await tables.install(manifest.current);
    this.committed = undefined;
    this.immutables.splice(this.immutables.length - group.length, group.length);
    if (this.flushThrough !== undefined && group.includes(this.flushThrough)) this.flushThrough = undefined;
    this.context.onInstalled();
    for (const waiter of this.roomWaiters.splice(0)) waiter.resolve();
    // The segments are obsolete now (the manifest says so), and go oldest first. One that
    // cannot be removed here is removed by the next open, and so are the newer ones: a
    // read-only reader of the previous manifest must never find an older segment without a
    // newer one (it would replay around the gap).
    for (const frozen of group) {
      const removed = await vfs.unlink(`${dir}/${logFileName(frozen.walNumber)}`).then(() => true, () => false);
      if (!removed) break;
    }
    this.stats.count++;
    const durationMs = performance.now() - started;
    this.stats.bytesWritten += outcome.bytesWritten;
    this.stats.totalMs += durationMs;
    let entries = 0;
    let rangeTombstones = 0;
    for (const { memtable } of group) {
      entries += memtable.entryCount;
      rangeTombstones += memtable.rangeTombstones.length;
    }
    this.context.events.flush({ ...outcome, memtables: group.length, entries, rangeTombstones, durationMs });
  }

  /**
   * Writes the page file (if the memtables hold entries) and logs the edit that records it
   * and the memtables' range tombstones.
   */
  private async writeAndRecord(group: readonly FrozenMemtable[]): Promise<FlushOutcome> {
    const { vfs, dir, manifest } = this.context;
    const allocateFileNumber = (): FileNum => toFileNum(manifest.allocateFileNumber());
    // Taken for each attempt: a worker takes the run's arrays, so a retry takes them again.
    const runs = group.map((frozen) => frozen.memtable.indexed());
    // Posting a run copies its unshared buffers into the worker, where the copy lives until
    // the worker's next garbage collection: memtables of many such bytes are built inline.
    const pool = unsharedBytes(runs) <= WORKER_FLUSH_DATA_BYTES_MAX ? this.context.pool : undefined;
    const buildTable = pool === undefined ? undefined : (input: TableBuildJobInput) => pool.buildTable(input);
    const memtables = group.map((frozen) => frozen.memtable);
    const flushed = await flushMemtables({ vfs, dir, memtables, build: this.context.build, snapshots: this.context.snapshots(), allocateFileNumber, runs, priority: this.context.priority, ...(buildTable === undefined ? {} : { buildTable }) });
    try {
      if (flushed.path !== undefined) await vfs.syncDir(dir);
      await manifest.logAndApply({ ...flushed.edit, logNumber: this.oldestNeededWal(group) });
    } catch (error) {
      // Unless the edit's fate is unknown (a failed manifest may have made it durable), the
      // page file is an orphan: remove it now rather than leak a memtable of disk per retry.
      if (!manifest.failed && flushed.path !== undefined) await vfs.unlink(flushed.path).catch(() => undefined);
      throw error;
    }
    return { bytesWritten: flushed.bytesWritten, fileNumber: flushed.edit.addedFiles?.[0]?.fileNumber };
  }


  /** After `flushed` is in a page file, the oldest segment still holding unflushed writes. */
  private oldestNeededWal(flushed: readonly FrozenMemtable[]): number {
    const remaining = this.immutables.filter((frozen) => !flushed.includes(frozen)).map((frozen) => frozen.walNumber);
    return Math.min(this.context.activeWalNumber(), ...remaining);
  }
}

/** Bytes of the buffers the runs reference that posting them to a worker would copy. */
function unsharedBytes(runs: readonly IndexedEntries[]): number {
  let bytes = 0;
  for (const buffer of new Set(runs.flatMap((run) => run.entries.buffers))) if (!(buffer instanceof SharedArrayBuffer)) bytes += buffer.byteLength;
  return bytes;
}
