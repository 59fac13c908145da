/**
 * Runs compaction jobs and table builds in worker threads, so merging and encoding never block
 * the main thread's event loop. Each worker runs up to `jobsPerThread` jobs at once; the jobs
 * are asynchronous and yield between slices, so the worker's event loop interleaves them. Jobs
 * beyond the pool's slots queue, table builds ahead of compactions (a flush frees memtable
 * memory that writers may be waiting for). Workers start on first use and are `unref`ed while
 * idle, so an idle pool does not keep the process alive; `close()` terminates them. With
 * `idleMs`, a worker idle that long is stopped (its isolate's memory goes back to the process)
 * and a later job starts a new one.
 *
 * A worker that crashes or exits fails its job with IO_ERROR and is replaced for the next job.
 * A job's own failure (a KvError in the worker) rejects with a KvError of the same code.
 */
// The real timers even under an application's fake timers, as for the jobs' own yields.
import { clearTimeout, setTimeout } from 'node:timers';
import { Worker } from 'node:worker_threads';
import { InvalidArgumentError, IoError, NotOpenError } from '@kv/base';
import type { TableProperties } from '@kv/sstable';
import type { CompactionJobInput, CompactionResult } from './compaction-job.js';
import { transferListOf } from './packed-entries.js';
import type { TableBuildJobInput } from './table-build-job.js';
import { isJobReply, reviveError } from './worker-protocol.js';
import type { JobReply, WorkerJob } from './worker-protocol.js';

const THREADS_MAX = 16;
const JOBS_PER_THREAD_MAX = 16;

/**
 * A worker's young generation, in MiB (V8's default is 16 per semispace on 64-bit). A job's
 * garbage is short-lived buffers and views, so a small young generation costs no measurable
 * speed, while the default one grows into RSS: a 1M-record fill peaked 30 to 50 MiB lower with
 * both of the engine's workers (flush, compaction) at 2 MiB (`tools/bench`, fillseq and
 * fillrandom, two runs each).
 */
const WORKER_YOUNG_GENERATION_MB = 2;

interface PendingJob {
  id: number;
  job: WorkerJob;
  /** Buffers moved to the worker rather than copied. */
  transfer: ArrayBuffer[];
  resolve: (result: JobReply & { ok: true }) => void;
  reject: (error: unknown) => void;
}

interface WorkerSlot {
  worker: Worker;
  /** The jobs this worker runs now, by job id. */
  jobs: Map<number, PendingJob>;
  crash: unknown;
  /** Stops the worker once it has been idle for `idleMs` (set while it has no job). */
  idleTimer: ReturnType<typeof setTimeout> | undefined;
}

export interface CompactionWorkerPoolOptions {
  /** Worker threads, 1..16; default 1. */
  threads?: number;
  /** Jobs one worker runs at once, 1..16; default 1. */
  jobsPerThread?: number;
  /** Stop a worker idle this many milliseconds (a positive integer); default: never. */
  idleMs?: number;
}

export class CompactionWorkerPool {
  private readonly threads: number;
  private readonly jobsPerThread: number;
  private readonly idleMs: number | undefined;
  private readonly slots: WorkerSlot[] = [];
  /** Idle workers stopped and not yet exited (`close` waits for them too). */
  private readonly stopping = new Set<Promise<number>>();
  /** Waiting jobs: table builds first, each kind in submission order. */
  private readonly queue: PendingJob[] = [];
  private nextJobId = 1;
  private closed = false;

  constructor(options: CompactionWorkerPoolOptions = {}) {
    this.threads = checkCount('compaction worker pool threads', options.threads ?? 1, THREADS_MAX);
    this.jobsPerThread = checkCount('compaction worker pool jobsPerThread', options.jobsPerThread ?? 1, JOBS_PER_THREAD_MAX);
    const idleMs = options.idleMs;
    if (idleMs !== undefined && (!Number.isSafeInteger(idleMs) || idleMs < 1)) throw new InvalidArgumentError('compaction worker pool idleMs', `must be a positive integer, got ${String(idleMs)}`);
    this.idleMs = idleMs;
  }

  /** Workers running now (idle ones included; stopped ones not). */
  get workerCount(): number {
    return this.slots.length;
  }

  /** Runs `input` in a worker with the real file system. Rejects with NOT_OPEN after `close()`. */
  async run(input: CompactionJobInput): Promise<CompactionResult> {
    const reply = await this.submit({ kind: 'compaction', input }, []);
    return reply.result as CompactionResult;
  }

  /**
   * Runs `runTableBuild` on `input` in a worker with the real file system. The run's arrays
   * are transferred: they are detached (empty) here once the job is sent. Rejects with NOT_OPEN
   * after `close()`.
   */
  async buildTable(input: TableBuildJobInput): Promise<TableProperties> {
    const reply = await this.submit({ kind: 'table-build', input }, transferListOf(input.entries));
    return reply.result as TableProperties;
  }

  /**
   * Starts a worker now if none runs, so that the next job does not wait for a worker's start
   * and module loading. Like any idle worker it does not keep the process alive, and with
   * `idleMs` it stops again if no job comes. No-op after `close()`.
   */
  prestart(): void {
    if (this.closed || this.slots.length > 0) return;
    this.armIdleTimer(this.spawn());
  }

  private submit(job: WorkerJob, transfer: ArrayBuffer[]): Promise<JobReply & { ok: true }> {
    if (this.closed) return Promise.reject(new NotOpenError('compaction worker pool'));
    return new Promise((resolve, reject) => {
      const pending = { id: this.nextJobId++, job, transfer, resolve, reject };
      if (job.kind === 'table-build') {
        const firstCompaction = this.queue.findIndex((waiting) => waiting.job.kind !== 'table-build');
        this.queue.splice(firstCompaction === -1 ? this.queue.length : firstCompaction, 0, pending);
      } else {
        this.queue.push(pending);
      }
      this.dispatch();
    });
  }

  /** Rejects queued and running jobs with NOT_OPEN and terminates the workers. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) job.reject(new NotOpenError('compaction worker pool'));
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      clearTimeout(slot.idleTimer);
      for (const job of slot.jobs.values()) job.reject(new NotOpenError('compaction worker pool'));
      slot.jobs.clear();
    }
    await Promise.all([...slots.map((slot) => slot.worker.terminate()), ...this.stopping]);
  }

  private dispatch(): void {
    while (!this.closed && this.queue.length > 0) {
      const slot = this.slotWithRoom();
      if (slot === undefined) return;
      const job = this.queue.shift();
      if (job === undefined) return;
      slot.jobs.set(job.id, job);
      clearTimeout(slot.idleTimer);
      slot.idleTimer = undefined;
      slot.worker.ref();
      try {
        slot.worker.postMessage({ id: job.id, job: job.job }, job.transfer);
      } catch (error) {
        // The input could not be cloned (not plain data): the job fails, the worker stays as it was.
        this.release(slot, job.id);
        job.reject(new InvalidArgumentError(`${job.job.kind} job input`, `cannot be sent to a worker: ${String(error)}`));
      }
    }
  }

  /** An idle worker, a new one while there are fewer than `threads`, else the least busy one with room. */
  private slotWithRoom(): WorkerSlot | undefined {
    const idle = this.slots.find((candidate) => candidate.jobs.size === 0);
    if (idle !== undefined) return idle;
    if (this.slots.length < this.threads) return this.spawn();
    let best: WorkerSlot | undefined;
    for (const slot of this.slots) {
      if (slot.jobs.size < this.jobsPerThread && (best === undefined || slot.jobs.size < best.jobs.size)) best = slot;
    }
    return best;
  }

  /** Forgets job `id` on `slot`; an idle worker no longer keeps the process alive, and stops after `idleMs`. */
  private release(slot: WorkerSlot, id: number): void {
    slot.jobs.delete(id);
    if (slot.jobs.size > 0) return;
    slot.worker.unref();
    this.armIdleTimer(slot);
  }

  /** With `idleMs`, stops the (idle) worker of `slot` once it has stayed idle that long. */
  private armIdleTimer(slot: WorkerSlot): void {
    if (this.idleMs !== undefined && slot.idleTimer === undefined) {
      slot.idleTimer = setTimeout(() => this.stopIdle(slot), this.idleMs);
      slot.idleTimer.unref();
    }
  }

  /**
   * Stops a worker that stayed idle. It leaves the slots first, so no job is sent to it while
   * it exits; its exit then finds nothing to fail.
   */
  private stopIdle(slot: WorkerSlot): void {
    slot.idleTimer = undefined;
    const index = this.slots.indexOf(slot);
    if (slot.jobs.size > 0 || index === -1) return;
    this.slots.splice(index, 1);
    const exited = slot.worker.terminate().catch(() => -1);
    this.stopping.add(exited);
    void exited.then(() => this.stopping.delete(exited));
  }

  private spawn(): WorkerSlot {
    const slot: WorkerSlot = { worker: startWorker(), jobs: new Map(), crash: undefined, idleTimer: undefined };
    slot.worker.on('message', (message: unknown) => this.settle(slot, message));
    slot.worker.on('error', (error: unknown) => {
      slot.crash = error;
    });
    slot.worker.on('exit', (exitCode: number) => this.retire(slot, exitCode));
    slot.worker.unref();
    this.slots.push(slot);
    return slot;
  }

  private settle(slot: WorkerSlot, message: unknown): void {
    if (!isJobReply(message)) return;
    const job = slot.jobs.get(message.id);
    if (job === undefined) return;
    this.release(slot, job.id);
    settleJob(job, message);
    this.dispatch();
  }

  /** A worker stopped: its jobs fail, and a new worker will take the queue. */
  private retire(slot: WorkerSlot, exitCode: number): void {
    clearTimeout(slot.idleTimer);
    slot.idleTimer = undefined;
    const index = this.slots.indexOf(slot);
    if (index !== -1) this.slots.splice(index, 1);
    const jobs = [...slot.jobs.values()];
    slot.jobs.clear();
    const detail = slot.crash === undefined ? `exited with code ${exitCode}` : `crashed: ${String(slot.crash)}`;
    for (const job of jobs) job.reject(new IoError('compaction worker', detail, { cause: slot.crash }));
    this.dispatch();
  }
}

function checkCount(name: string, value: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < 1 || value > max) throw new InvalidArgumentError(name, `must be 1..${max}`);
  return value;
}

function settleJob(job: PendingJob, reply: JobReply): void {
  if (reply.ok) job.resolve(reply);
  else job.reject(reviveError(reply.error));
}

/**
 * The worker must be compiled JavaScript. From `dist/` it sits next to this module; when this
 * module runs from `src/` (tests load TypeScript sources), it is the build's copy in `dist/`.
 */
export function workerScriptUrl(): URL {
  const here = import.meta.url;
  return here.endsWith('.ts') ? new URL('../dist/compaction-worker.js', here) : new URL('./compaction-worker.js', here);
}

/**
 * A worker with the parent's Node flags (see `workerExecArgv`), or with none when Node refuses
 * one of them in a worker (V8 flags such as `--expose-gc` or `--max-old-space-size` are
 * per process): the worker runs plain compiled JavaScript and needs no flags.
 */
function startWorker(): Worker {
  const resourceLimits = { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB };
  try {
    return new Worker(workerScriptUrl(), { execArgv: workerExecArgv(process.execArgv), resourceLimits });
  } catch (error) {
    if ((error as { code?: unknown }).code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return new Worker(workerScriptUrl(), { execArgv: [], resourceLimits });
  }
}

/** Flags a worker must not inherit, each followed by a value (or joined to it with `=`). */
const PARENT_ONLY_FLAGS: readonly string[] = [
  // Export conditions: a test runner loads the packages' TypeScript sources through one, and a
  // worker inheriting it would try to load `.ts` files, which plain Node cannot.
  '--conditions', '-C',
  // The parent's own entry: `node -e`/`-p` code (a worker would evaluate it instead of the
  // worker script) and `--input-type`, which Node refuses for anything but such code.
  '--eval', '-e', '--print', '-p', '-pe', '-ep', '--input-type',
];

/** Of those, the ones Node also takes as a plain switch when another option follows (`node -p -e code`). */
const VALUE_OPTIONAL_FLAGS: readonly string[] = ['--print', '-p'];

/**
 * The parent's Node flags without those that only make sense for the parent's own entry
 * (`PARENT_ONLY_FLAGS`). The worker always runs the compiled packages from its own script.
 */
export function workerExecArgv(parentArgv: readonly string[]): string[] {
  const kept: string[] = [];
  for (let i = 0; i < parentArgv.length; i++) {
    const argument = parentArgv[i] ?? '';
    if (PARENT_ONLY_FLAGS.includes(argument)) {
      const next = parentArgv[i + 1];
      const valueFollows = next !== undefined && !(VALUE_OPTIONAL_FLAGS.includes(argument) && next.startsWith('-'));
      if (valueFollows) i++;
    } else if (!PARENT_ONLY_FLAGS.some((flag) => flag.startsWith('--') && argument.startsWith(`${flag}=`))) {
      kept.push(argument);
    }
  }
  return kept;
}
