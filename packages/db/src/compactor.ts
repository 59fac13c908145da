/**
 * Background leveled compaction. After every flush and compaction it asks the picker for the
 * level most over its target and runs that job — in a worker thread on the real file system,
 * inline in slices otherwise (the in-memory file system of tests cannot cross threads). One
 * job runs at a time, background and manual (`compactRange`) alike (a background job whose
 * files overlap nothing below is a trivial move: one manifest edit, no rewrite): every job holds the same
 * lock from planning to install, so no job ever plans with files another job is replacing. Each job's outputs are durable before one manifest edit swaps them in
 * for its inputs; the inputs are deleted once no iterator pins them (see `TableSet`).
 *
 * A failed job is retried with backoff; errors retrying cannot cure (a failed manifest,
 * corruption, a bug) stop compaction and are reported by `compactRange` and `stats()`.
 */
import { NotOpenError, isKvError, toFileNum, tombstoneOverlaps } from '@kv/base';
import { outputFileCountFor, pickCompaction, planManualCompaction, planRangeTombstoneCleanup, planSpan, runCompaction, tombstonesRetiredBy, trivialMove } from '@kv/compaction';
import type { BuildPriority, CompactionBuildOptions, CompactionWorkerPool, CompactionPlan, CompactionPolicy, CompactionResult, PickerState } from '@kv/compaction';
import type { Manifest, VersionEdit } from '@kv/manifest';
import type { Vfs } from '@kv/vfs';
import { RetryBackoff, classifyFailure } from './background-retry.js';
import type { EngineEventSink } from './db-events.js';
import { tableFileName } from './file-names.js';
import type { TableSet } from './table-set.js';

export interface CompactionStats {
  count: number;
  bytesRead: number;
  bytesWritten: number;
  totalMs: number;
  failures: number;
  /** Bytes written into each level by compactions (flushes count for level 0). */
  bytesWrittenByLevel: number[];
}

export interface CompactorContext {
  vfs: Vfs;
  dir: string;
  manifest: Manifest;
  tables: TableSet;
  policy: CompactionPolicy;
  buildFor(level: number): CompactionBuildOptions;
  /** Live snapshot sequence numbers, ascending. */
  snapshots(): number[];
  visibleSeq(): number;
  /** Where jobs run, off the main thread (real file system only); inline when undefined. */
  pool: CompactionWorkerPool | undefined;
  /** An inline job pauses while an inline flush counted here runs (see @kv/compaction's build-priority.ts). */
  priority: BuildPriority;
  /** Wall-clock ms: expiring entries past it are dropped. */
  clock(): number;
  events: EngineEventSink;
}

export class Compactor {
  readonly stats: CompactionStats = { count: 0, bytesRead: 0, bytesWritten: 0, totalMs: 0, failures: 0, bytesWrittenByLevel: [0, 0, 0, 0, 0, 0, 0] };
  fatalError: unknown;
  private readonly context: CompactorContext;
  private readonly picker: PickerState = { cursors: new Map() };
  private running: Promise<void> | undefined;
  private pending = false;
  private stopped = false;
  private level0Waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  /** Held by one job (or one whole compactRange) at a time, from planning to install. */
  private jobLock: Promise<void> = Promise.resolve();
  private readonly backoff = new RetryBackoff();

  constructor(context: CompactorContext) {
    this.context = context;
  }

  /** Starts compacting if anything is over its target (called after every version change). */
  kick(): void {
    if (this.stopped || this.fatalError !== undefined) return;
    this.pending = true;
    this.running ??= this.run().finally(() => {
      this.running = undefined;
    });
  }

  /** Level-0 files in the installed version. */
  get level0Files(): number {
    return this.context.manifest.current.levels[0]?.length ?? 0;
  }

  /**
   * Resolves while level 0 is under its stop trigger, waiting for compaction otherwise.
   * Rejects with a compaction's error when one fails meanwhile (NO_SPACE on a full disk, say),
   * so writers waiting for room fail instead of hanging.
   */
  async waitForLevel0Room(): Promise<void> {
    if (this.level0Files < this.context.policy.level0StopTrigger) return;
    const started = performance.now();
    try {
      while (this.level0Files >= this.context.policy.level0StopTrigger && !this.stopped) {
        if (this.fatalError !== undefined) throw this.fatalError;
        this.kick();
        await new Promise<void>((resolve, reject) => this.level0Waiters.push({ resolve, reject }));
      }
    } finally {
      this.context.events.stall({ cause: 'level0', durationMs: performance.now() - started });
    }
  }

  /** Compacts the key range (all keys when open-ended) down to the bottom level. */
  async compactRange(range: { start?: Uint8Array; end?: Uint8Array }): Promise<void> {
    await this.exclusive(async () => {
      if (this.stopped) throw new NotOpenError('database');
      if (this.fatalError !== undefined) throw this.fatalError;
      for (const plan of planManualCompaction(this.context.manifest.current, range, this.context.policy)) await this.runJob(plan);
    });
    this.kick();
  }

  /** Stops after the job in progress (background or manual); waits for it. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.backoff.cancel();
    this.wakeLevel0();
    await this.running;
    await this.jobLock;
  }

  /** Runs `job` while holding the job lock. */
  private exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.jobLock.then(job);
    this.jobLock = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private async run(): Promise<void> {
    while (this.pending && !this.stopped) {
      this.pending = false;
      try {
        const ran = await this.exclusive(() => this.runPicked());
        if (!ran) break;
        this.pending = true;
        this.backoff.reset();
        delete this.picker.level0FilesMax;
      } catch (error) {
        this.stats.failures++;
        const { reported, fatal } = classifyFailure('compaction', error, this.context.manifest.failed);
        if (fatal) this.fatalError = reported;
        if (isKvError(reported, 'NO_SPACE')) this.needLessSpace();
        this.context.events.backgroundError(reported, { job: 'compaction', willRetry: !fatal });
        this.failLevel0(reported);
        if (fatal) return;
        await this.backoff.wait();
        this.pending = true;
      }
    }
  }

  /**
   * After a compaction ran out of space, the next level-0 compaction takes half as many files
   * (the oldest), down to one: its output, written before its inputs can be deleted, then
   * needs less free space, so compaction (and writers waiting on level 0) can go on as soon
   * as a little space returns. Reset by the next success.
   */
  private needLessSpace(): void {
    const level0 = this.context.manifest.current.levels[0]?.length ?? 1;
    this.picker.level0FilesMax = Math.max(1, Math.floor(Math.min(this.picker.level0FilesMax ?? level0, level0) / 2));
  }

  /** Plans and runs one background job under the lock; false when nothing is due. */
  private async runPicked(): Promise<boolean> {
    if (this.stopped) return false;
    if (await this.dropRangeDeleted()) return true;
    const plan = pickCompaction(this.context.manifest.current, this.context.policy, this.picker);
    if (plan === undefined) return false;
    await this.runJob(plan);
    return true;
  }

  private async runJob(plan: CompactionPlan): Promise<void> {
    const started = performance.now();
    const { manifest, policy } = this.context;
    const move = trivialMove(plan);
    if (move !== undefined) {
      await manifest.logAndApply(move);
      await this.context.tables.install(manifest.current);
      this.record(plan, { added: move.addedFiles ?? [], removed: move.removedFiles ?? [], bytesRead: 0, bytesWritten: 0, entriesIn: 0, entriesOut: 0, droppedVersions: 0, droppedTombstones: 0, rangeTombstonesHidingKept: [], durationMs: 0 }, performance.now() - started, true);
      this.wakeLevel0();
      return;
    }
    const outputFileNumbers = Array.from({ length: outputFileCountFor(plan, policy.targetFileSizeBytes) }, () => manifest.allocateFileNumber());
    const snapshots = [...this.context.snapshots().filter((seq) => seq < this.context.visibleSeq()), this.context.visibleSeq()];
    const span = planSpan(plan);
    const rangeTombstones = manifest.current.rangeTombstones.filter((tombstone) => tombstoneOverlaps(tombstone, span.smallest, span.largest));
    const input = {
      dir: this.context.dir, plan, outputFileNumbers, snapshots, rangeTombstones, nowMs: this.context.clock(),
      build: this.context.buildFor(plan.outputLevel), targetFileSizeBytes: policy.targetFileSizeBytes,
    };
    const planned = manifest.current;
    const result = this.context.pool === undefined ? await runCompaction(this.context.vfs, input, this.context.priority) : await this.context.pool.run(input);
    const removedRangeTombstones = tombstonesRetiredBy(planned, plan, rangeTombstones, result.rangeTombstonesHidingKept);
    try {
      await manifest.logAndApply({ addedFiles: result.added, removedFiles: result.removed, removedRangeTombstones });
    } catch (error) {
      if (!manifest.failed) await this.removeOutputs(result);
      throw error;
    }
    await this.context.tables.install(manifest.current);
    this.record(plan, result, performance.now() - started);
    this.wakeLevel0();
  }

  /**
   * Removes, with one edit and no merge, the files range deletions hide entirely and the
   * range tombstones that no longer hide anything. False when there is nothing to remove.
   */
  private async dropRangeDeleted(): Promise<boolean> {
    const { manifest } = this.context;
    const edit: VersionEdit | undefined = planRangeTombstoneCleanup(manifest.current, this.context.snapshots());
    if (edit === undefined) return false;
    const started = performance.now();
    await manifest.logAndApply(edit);
    await this.context.tables.install(manifest.current);
    const levels = (edit.removedFiles ?? []).map((file) => file.level);
    this.context.events.compaction({
      reason: 'range-deletion', inputLevel: Math.min(0, ...levels), outputLevel: Math.max(0, ...levels),
      inputFiles: levels.length, outputFiles: 0, bytesRead: 0, bytesWritten: 0, entriesIn: 0, entriesOut: 0,
      droppedVersions: 0, droppedTombstones: edit.removedRangeTombstones?.length ?? 0, trivialMove: false, durationMs: performance.now() - started,
    });
    this.wakeLevel0();
    return true;
  }

  private async removeOutputs(result: CompactionResult): Promise<void> {
    const { vfs, dir } = this.context;
    for (const file of result.added) await vfs.unlink(`${dir}/${tableFileName(toFileNum(file.fileNumber))}`).catch(() => undefined);
  }

  private record(plan: CompactionPlan, result: CompactionResult, durationMs: number, trivialMove = false): void {
    this.stats.count++;
    this.stats.bytesRead += result.bytesRead;
    this.stats.bytesWritten += result.bytesWritten;
    this.stats.totalMs += durationMs;
    this.stats.bytesWrittenByLevel[plan.outputLevel] = (this.stats.bytesWrittenByLevel[plan.outputLevel] ?? 0) + result.bytesWritten;
    this.context.events.compaction({
      reason: plan.reason, inputLevel: plan.inputLevel, outputLevel: plan.outputLevel,
      inputFiles: result.removed.length, outputFiles: result.added.length, bytesRead: result.bytesRead, bytesWritten: result.bytesWritten,
      entriesIn: result.entriesIn, entriesOut: result.entriesOut, droppedVersions: result.droppedVersions, droppedTombstones: result.droppedTombstones, trivialMove, durationMs,
    });
  }

  private wakeLevel0(): void {
    for (const waiter of this.level0Waiters.splice(0)) waiter.resolve();
  }

  private failLevel0(error: unknown): void {
    for (const waiter of this.level0Waiters.splice(0)) waiter.reject(error);
  }
}

