/**
 * Group commit: concurrent submissions share one append and at most one sync.
 *
 * Submissions made in the same synchronous run form one group (the flush is scheduled with
 * `queueMicrotask`), except a lone record (`submitAlone`, below). Submissions that arrive
 * while a group is being written or synced wait and form the next group, so N concurrent
 * durable writers cost about N / group size syncs. Once a durable group of several
 * submissions settled, the next group is taken one event-loop turn later (`afterGroup`), so
 * that it holds every submitter that comes back within promise reactions rather than the few
 * that came back first; the queue counts as busy during that turn.
 *
 * A caller that knows its record is alone (no other submission of its is under way) and needs
 * no sync calls `submitAlone`: when the queue is idle, the record is appended before the call
 * returns, which returns its position itself, with no promise and no microtask to wait for
 * (an awaited non-durable put of the engine: 6.95 µs through a group of one, 6.51 with the
 * append in the call and a promise already settled, less again without the promise).
 *
 * Submissions settle in submission order, group after group, which lets callers apply their
 * writes in their continuations in log order. A failed append or sync rejects every member
 * of its group with that error; the queue then repairs the writer (see `WalWriter`) and later
 * groups try again. Bounding the number of waiting submissions is the caller's job.
 */
// The real setImmediate even under an application's fake timers: a durable write must not
// wait for the application's clock.
import { setImmediate } from 'node:timers';
import { InvalidArgumentError, NotOpenError, assert } from '@kv/base';
import { FRAGMENT_HEADER_BYTES, RECORD_PAYLOAD_BYTES_MAX } from './format.js';
import type { WalPosition } from './wal-position.js';
import type { WalWriter } from './wal-writer.js';

/** Counters since the queue was made: groups and records appended, syncs issued. */
export interface WalCommitStats {
  groups: number;
  records: number;
  syncs: number;
}

interface Submission {
  payload: Uint8Array;
  sync: boolean;
  resolve: (position: WalPosition) => void;
  reject: (error: unknown) => void;
}

/**
 * A `submitAlone` record: it keeps its outcome instead of settling a promise, and makes the
 * promise only when the outcome is not known by the time the call returns.
 */
class AloneSubmission implements Submission {
  readonly payload: Uint8Array;
  readonly sync = false;
  private position: WalPosition | undefined;
  private error: { cause: unknown } | undefined;
  private settlers: { resolve: (position: WalPosition) => void; reject: (error: unknown) => void } | undefined;

  constructor(payload: Uint8Array) {
    this.payload = payload;
  }

  resolve(position: WalPosition): void {
    if (this.settlers === undefined) this.position = position;
    else this.settlers.resolve(position);
  }

  reject(error: unknown): void {
    if (this.settlers === undefined) this.error = { cause: error };
    else this.settlers.reject(error);
  }

  /** The position when the record is already appended, else a promise of it. */
  outcome(): WalPosition | Promise<WalPosition> {
    if (this.position !== undefined) return this.position;
    if (this.error !== undefined) return Promise.reject(this.error.cause);
    return new Promise<WalPosition>((resolve, reject) => {
      this.settlers = { resolve, reject };
    });
  }
}

/** The default bound on one group's framed bytes; a single larger record still forms a group. */
export const GROUP_BYTES_MAX_DEFAULT: number = 1024 * 1024;

export class WalCommitQueue {
  readonly writer: WalWriter;
  readonly groupBytesMax: number;
  private waiting: Submission[] = [];
  private running = false;
  private scheduled = false;
  private closed = false;
  private readonly counters: WalCommitStats = { groups: 0, records: 0, syncs: 0 };
  private idleWaiters: (() => void)[] = [];

  constructor(writer: WalWriter, options?: { groupBytesMax?: number }) {
    const groupBytesMax = options?.groupBytesMax ?? GROUP_BYTES_MAX_DEFAULT;
    if (!Number.isSafeInteger(groupBytesMax) || groupBytesMax < 1) {
      throw new InvalidArgumentError('groupBytesMax', `${groupBytesMax} is not a positive integer`);
    }
    this.writer = writer;
    this.groupBytesMax = groupBytesMax;
  }

  /** A snapshot of the counters. */
  get stats(): WalCommitStats {
    return { ...this.counters };
  }

  /**
   * Appends `payload` as one record in the next group. Resolves with its position once the
   * record reached the OS and, when this or any other member of its group asked for `sync`,
   * once it is durable.
   */
  submit(payload: Uint8Array, options: { sync: boolean }): Promise<WalPosition> {
    const refused = this.refusal(payload);
    if (refused !== undefined) return Promise.reject(refused);
    return new Promise<WalPosition>((resolve, reject) => {
      this.waiting.push({ payload, sync: options.sync, resolve, reject });
      this.schedule();
    });
  }

  /**
   * `submit` without a sync, for a record the caller knows is alone (it has no other
   * submission under way). When the queue is idle (nothing queued, being written, synced or
   * repaired, and no turn after a group due), the record is appended before this returns (the
   * run that takes it starts at once) and its position is returned. Otherwise, or when that append failed (the promise then rejects after
   * the repair, like a group's), the promise `submit` would give: the record settles in
   * submission order either way.
   */
  submitAlone(payload: Uint8Array): WalPosition | Promise<WalPosition> {
    if (!this.isIdle() || this.refusal(payload) !== undefined) return this.submit(payload, { sync: false });
    const submission = new AloneSubmission(payload);
    this.waiting.push(submission);
    this.run();
    return submission.outcome();
  }

  /** Why `payload` cannot be submitted now, or undefined. */
  private refusal(payload: Uint8Array): Error | undefined {
    if (this.closed) return new NotOpenError('wal commit queue');
    if (payload.length > RECORD_PAYLOAD_BYTES_MAX) return new InvalidArgumentError('wal record', `${payload.length} bytes exceeds ${RECORD_PAYLOAD_BYTES_MAX}`);
    return undefined;
  }

  /** Resolves once every submission made so far has settled. Never rejects. */
  drain(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise<void>((resolve) => this.idleWaiters.push(resolve));
  }

  /** Nothing waiting, scheduled, being written, synced or repaired, and no turn after a group due. */
  private isIdle(): boolean {
    return !this.running && !this.scheduled && this.waiting.length === 0;
  }

  /** Refuses new submissions and waits for the queued ones. The writer stays open: its owner closes it. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  private schedule(): void {
    if (this.running || this.scheduled) return;
    this.scheduled = true;
    queueMicrotask(() => {
      this.scheduled = false;
      this.run();
    });
  }

  /**
   * Commits waiting groups until none is left. Each pass settles at least one waiting
   * submission. A group that needs no sync settles within the pass, so a run of such groups
   * takes no extra microtasks; a group that waits for its sync (or its repair) continues the
   * run when it settled, one event-loop turn later if it was a durable group of several
   * submissions (`afterGroup`). A plain function rather than an async one: a lone record's
   * run allocates no promise of its own.
   */
  private run(): void {
    this.running = true;
    let pending: Promise<void> | undefined;
    try {
      while (pending === undefined && this.waiting.length > 0) pending = this.commit(this.takeGroup());
    } finally {
      if (pending === undefined) this.stopRunning();
    }
    // `commit` settles every submission itself; its promise rejects only on a bug, which then
    // surfaces as an unhandled rejection after the queue stopped.
    void pending?.then(
      () => this.run(),
      (error: unknown) => {
        this.stopRunning();
        throw error;
      },
    );
  }

  private stopRunning(): void {
    this.running = false;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** The oldest waiting submissions whose framed size fits `groupBytesMax`, at least one. */
  private takeGroup(): Submission[] {
    const waiting = this.waiting;
    let bytes = 0;
    let count = 0;
    for (const submission of waiting) {
      bytes += submission.payload.length + FRAGMENT_HEADER_BYTES;
      if (count > 0 && bytes > this.groupBytesMax) break;
      count++;
    }
    if (count < waiting.length) return waiting.splice(0, count);
    // All of them (the usual case): hand over the array itself.
    this.waiting = [];
    return waiting;
  }

  /**
   * Appends `group` and settles it: at once when no member asked for a sync, otherwise after
   * the sync, which the returned promise waits for (as it waits for the repair after a failure).
   */
  private commit(group: Submission[]): Promise<void> | undefined {
    const payloads: Uint8Array[] = [];
    let sync = false;
    for (const submission of group) {
      payloads.push(submission.payload);
      if (submission.sync) sync = true;
    }
    let positions: WalPosition[];
    try {
      positions = this.writer.appendSync(payloads);
    } catch (error) {
      return afterGroup(this.fail(group, error), group, sync);
    }
    this.counters.groups++;
    this.counters.records += group.length;
    if (!sync) {
      settle(group, positions);
      return undefined;
    }
    this.counters.syncs++;
    const settled = this.writer.sync().then(
      () => settle(group, positions),
      (error: unknown) => this.fail(group, error),
    );
    return afterGroup(settled, group, true);
  }

  /**
   * Cuts off a partial write before anyone learns of the failure, so later groups follow the
   * last good record, then rejects the group. A repair that fails leaves the writer broken;
   * later groups then fail with its IoError.
   */
  private async fail(group: Submission[], error: unknown): Promise<void> {
    await this.writer.repair().catch(() => undefined);
    for (const submission of group) submission.reject(error);
  }
}

/**
 * `settled`, and then, for a durable group of several submissions (synced, or failed and
 * repaired), one event-loop turn more before the run takes the next group. So every submitter
 * it released whose next submission comes within promise reactions, however many, joins the
 * next group. Taken at once, the next group would hold the few that came back first and cost a
 * sync of its own (64 durable writers of the engine measured here: groups of 4 and 60 in
 * turn). Submitters that wait for I/O or a timer first may still miss it.
 */
function afterGroup(settled: Promise<void>, group: readonly Submission[], sync: boolean): Promise<void> {
  return sync && group.length > 1 ? settled.then(nextTurn) : settled;
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function settle(group: readonly Submission[], positions: readonly WalPosition[]): void {
  for (let i = 0; i < group.length; i++) {
    const position = positions[i];
    assert(position !== undefined, 'one position per record');
    (group[i] as Submission).resolve(position);
  }
}
