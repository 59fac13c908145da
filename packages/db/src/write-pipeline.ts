/**
 * The write path: sequence numbers, the active WAL segment with group commit, the active
 * memtable, and the switch to a fresh memtable and segment when the active one is full.
 *
 * Ordering rules:
 * - A write takes its sequence numbers and submits its WAL record synchronously, in call
 *   order; the commit queue settles in submission order, so writes apply to the memtable in
 *   sequence order and `visibleSeq` only grows.
 * - Writes are admitted strictly in call order (`AdmissionQueue`). The switch closes a gate:
 *   writes that arrive meanwhile queue, in order, until every
 *   submitted write has been applied to the old memtable and the new segment exists. So no
 *   write lands in a newer segment before an older write reached its own, and a crash can
 *   never keep a later write without an earlier one. The old segment is synced before the
 *   new one takes writes, for the same reason under power loss.
 */
// The real setTimeout even under an application's fake timers: a slowed write must not wait
// for a clock nobody advances.
import { setTimeout } from 'node:timers';
import { IoError, assert, toSeqNum } from '@kv/base';
import type { FileNum, SeqNum } from '@kv/base';
import type { Memtable } from '@kv/memtable';
import type { Vfs } from '@kv/vfs';
import type { WalPosition } from '@kv/wal';
import { AdmissionQueue } from './admission-queue.js';
import type { Verdict } from './admission-queue.js';
import { setBatchSequence } from './batch-codec.js';
import type { PreparedBatch } from './batch-codec.js';
import { ENGINE_ENTRY_OVERHEAD_BYTES, MEMTABLE_HARD_LIMIT_FACTOR, newEngineMemtable } from './memory-plan.js';
import { TurnKeeper } from './event-loop-turns.js';
import { closeSegment, startSegment } from './wal-segment.js';
import type { WalSegment } from './wal-segment.js';
import { applyBatch } from './apply-batch.js';

const SWITCH_RETRY_DELAY_MS = 100;
/** Writes are slowed once the active memtable is this full while a flush is behind. */
const SLOWDOWN_FILL_FRACTION = 0.75;
const SLOWDOWN_DELAY_MS = 1;
/** Writes settling without I/O hold the event loop at most about this long (see `TurnKeeper`). */
const EVENT_LOOP_TURN_BUDGET_MS = 0.25;

export interface FrozenMemtable {
  memtable: Memtable;
  /** The WAL segment holding exactly this memtable's writes. */
  walNumber: FileNum;
  /** When it was frozen (`performance.now()`). */
  frozenAt: number;
}

interface StartedWrite {
  firstSeq: SeqNum;
  payloadBytes: number;
  /** The record's position when the log appended it within the call, else a promise of it. */
  submitted: WalPosition | Promise<WalPosition>;
}

/** Settled once, for the microtask that ends a run (`aloneInRun`). */
const SETTLED: Promise<void> = Promise.resolve();

/**
 * Settles once `turn` has come, in a continuation of its own: writes waiting for the same turn
 * then settle in the order they awaited it, which is call order (returning `turn` itself
 * would settle a write applied within its call ahead of an earlier one still resuming).
 */
async function afterTurn(turn: Promise<void>): Promise<void> {
  await turn;
}

export interface WritePipelineHooks {
  /** Resolves when another frozen memtable may be added (backpressure); may take long. */
  waitForRoom(): Promise<void>;
  /** Receives the memtable the switch froze, with its segment. */
  onFrozen(frozen: FrozenMemtable): void;
  /** Counts bytes appended to WAL segments. */
  onWalBytes(bytes: number): void;
  /** Whether flushes are behind, so writes near a full memtable should be slowed. */
  flushBehind(): boolean;
  /** Counts one slowed write. */
  onSlowdown(): void;
  /** A batch was applied to the active memtable (its memory grew). */
  onApplied(): void;
  /** Why writes are refused (a failed manifest sync), or undefined while they are taken. */
  writesRefused(): unknown;
}

export class WritePipeline {
  active: Memtable;
  wal: WalSegment;
  private nextSeq: SeqNum;
  /** Every write with a sequence number at or below this is applied and visible. */
  visibleSeq: SeqNum;
  private gate: Promise<void> | undefined;
  private readonly admission: AdmissionQueue;
  private closing = false;
  private walSyncError: unknown;
  /** Writes admitted and not yet applied (or failed). */
  private inFlight = 0;
  /** Estimated memtable bytes of the writes in flight. */
  private pendingBytes = 0;
  private idleWaiters: (() => void)[] = [];
  private switchRetryAt = 0;
  /** The segment the next switch will use, created ahead (see `prepareSegment`). */
  private prepared: Promise<WalSegment> | undefined;
  private readonly vfs: Vfs;
  private readonly dir: string;
  private readonly allocateFileNumber: () => FileNum;
  private readonly memtableSizeBytes: number;
  private readonly hooks: WritePipelineHooks;
  private readonly turns = new TurnKeeper(EVENT_LOOP_TURN_BUDGET_MS);
  /**
   * Set while the synchronous run that started a write alone goes on (cleared by a microtask):
   * that write was applied within its call, so `inFlight` no longer shows it, and the writes
   * issued after it in the same run (`Promise.all` over puts, say) should form a group.
   */
  private aloneInRun = false;
  private readonly endRun = (): void => {
    this.aloneInRun = false;
  };

  constructor(options: { vfs: Vfs; dir: string; allocateFileNumber: () => FileNum; memtableSizeBytes: number; memtable: Memtable; wal: WalSegment; lastSeq: SeqNum; hooks: WritePipelineHooks }) {
    this.vfs = options.vfs;
    this.dir = options.dir;
    this.allocateFileNumber = options.allocateFileNumber;
    this.memtableSizeBytes = options.memtableSizeBytes;
    this.active = options.memtable;
    this.wal = options.wal;
    this.visibleSeq = options.lastSeq;
    this.nextSeq = toSeqNum(options.lastSeq + 1);
    this.hooks = options.hooks;
    this.admission = new AdmissionQueue({
      verdict: (costBytes, slowed) => this.verdict(costBytes, slowed),
      blocker: () => this.gate,
      makeRoom: () => this.switchNow(),
      slowDown: () => {
        this.hooks.onSlowdown();
        return new Promise((resolve) => setTimeout(resolve, SLOWDOWN_DELAY_MS));
      },
    });
  }

  /**
   * Logs and applies one atomic batch (prepared when the call was made). A write admitted at
   * once starts here, without waiting a microtask for a promise; when the log also appended
   * its record within the call (a lone write that needs no sync, see `start`), it is applied
   * here too (so it is visible before the call returns), and the call returns a settled
   * promise (or one that settles after the turn the event loop is due).
   */
  commit(batch: PreparedBatch, sync: boolean): Promise<void> {
    if (batch.count === 0) return Promise.resolve();
    // What the batch will add to the memtable's `memoryBytes`, as the memtable counts it.
    const costBytes = batch.userBytes + batch.count * ENGINE_ENTRY_OVERHEAD_BYTES;
    let admitted: StartedWrite | Promise<StartedWrite>;
    try {
      admitted = this.admission.admit(costBytes, () => this.start(batch, sync, costBytes));
    } catch (error) {
      return Promise.reject(error);
    }
    if (admitted instanceof Promise || admitted.submitted instanceof Promise) return this.commitLater(admitted, batch, costBytes);
    try {
      this.finish(admitted, batch, costBytes);
    } catch (error) {
      return Promise.reject(error);
    }
    const turn = this.turns.due();
    // A promise of its own either way, as an async function would give.
    return turn === undefined ? Promise.resolve() : afterTurn(turn);
  }

  /** `commit` of a write that waits for its admission or for its WAL record. */
  private async commitLater(admitted: StartedWrite | Promise<StartedWrite>, batch: PreparedBatch, costBytes: number): Promise<void> {
    const started = admitted instanceof Promise ? await admitted : admitted;
    try {
      await started.submitted;
    } catch (error) {
      this.settle(costBytes);
      throw this.walFailure(error);
    }
    this.finish(started, batch, costBytes);
    const turn = this.turns.due();
    if (turn !== undefined) await turn;
  }

  /** Applies a write whose WAL record is written, and starts a switch when the memtable is full. */
  private finish(started: StartedWrite, batch: PreparedBatch, costBytes: number): void {
    try {
      this.apply(started.firstSeq, batch);
      this.hooks.onWalBytes(started.payloadBytes);
      this.hooks.onApplied();
    } catch (error) {
      throw this.walFailure(error);
    } finally {
      this.settle(costBytes);
    }
    if (this.active.memoryBytes >= this.memtableSizeBytes) this.requestSwitch();
    else if (this.prepared === undefined && !this.closing && this.active.memoryBytes >= this.memtableSizeBytes / 2) this.prepareSegment();
  }

  /**
   * Creates the next WAL segment in the background once the active memtable is half full, so
   * the switch does not wait for the file's creation, header fsync and directory fsync (6 to
   * 50 ms per switch measured here, with every writer held at the gate). Until the switch
   * takes it, the new file is an empty log, which a recovery replays as nothing.
   */
  private prepareSegment(): void {
    const prepared = this.newSegment();
    // A failure is handled where the segment is taken (`takeSegment`).
    prepared.catch(() => undefined);
    this.prepared = prepared;
  }

  /** The prepared segment, or a new one when none was prepared or its creation failed. */
  private async takeSegment(): Promise<WalSegment> {
    const prepared = this.prepared;
    this.prepared = undefined;
    const segment = await prepared?.catch(() => undefined);
    return segment ?? this.newSegment();
  }

  /** Creates a WAL segment under the next file number. */
  private newSegment(): Promise<WalSegment> {
    return startSegment(this.vfs, this.dir, { number: this.allocateFileNumber(), memtableSizeBytes: this.memtableSizeBytes, syncGate: this.wal.writer.syncGate });
  }

  /** Closes and deletes a prepared segment that no switch will take (best effort: it is an empty log). */
  private async discardPrepared(): Promise<void> {
    const segment = await this.prepared?.catch(() => undefined);
    this.prepared = undefined;
    if (segment === undefined) return;
    await closeSegment(segment).catch(() => undefined);
    await this.vfs.unlink(segment.writer.path).catch(() => undefined);
  }

  /**
   * Runs when a write is admitted, synchronously: takes its sequence numbers and submits its
   * WAL record, so both follow admission order, which is call order.
   */
  private start(batch: PreparedBatch, sync: boolean, costBytes: number): StartedWrite {
    if (this.wal.writer.failed) throw this.walFailure(undefined);
    const refused = this.hooks.writesRefused();
    if (refused !== undefined) throw refused;
    const firstSeq = this.nextSeq;
    const payload = batch.payload;
    setBatchSequence(payload, firstSeq);
    this.nextSeq = toSeqNum(firstSeq + batch.count);
    // With no other write in flight there is no group to form: an idle log appends a record
    // that needs no sync at once. Writes issued in the same synchronous run as one that went
    // alone still share a group, as writes issued together always do (see `aloneInRun`).
    const alone = this.inFlight === 0 && !sync && !this.aloneInRun;
    if (alone) {
      this.aloneInRun = true;
      // A reaction on a settled promise, not `queueMicrotask` (which makes an async resource
      // and a bound function per call in Node): the same queue, a fraction of the garbage.
      void SETTLED.then(this.endRun);
    }
    this.inFlight++;
    this.pendingBytes += costBytes;
    const queue = this.wal.queue;
    return { firstSeq, payloadBytes: payload.length, submitted: alone ? queue.submitAlone(payload) : queue.submit(payload, { sync }) };
  }

  /** What the next write must do first: wait for a switch, be slowed once, or go. */
  private verdict(costBytes: number, slowed: boolean): Verdict {
    const usedBytes = this.active.memoryBytes + this.pendingBytes + costBytes;
    if (usedBytes >= this.memtableSizeBytes * MEMTABLE_HARD_LIMIT_FACTOR && (this.inFlight > 0 || !this.active.isEmpty)) return 'switch';
    if (!slowed && usedBytes >= this.memtableSizeBytes * SLOWDOWN_FILL_FRACTION && this.hooks.flushBehind()) return 'slow';
    return 'admit';
  }

  /**
   * After a failed fdatasync nothing written to the segment since its last good sync can be
   * proven durable, and retrying the sync could falsely report success. So the database stops
   * taking writes (reads go on) until it is reopened, which recovers what is really on disk.
   */
  private walFailure(error: unknown): unknown {
    if (!this.wal.writer.failed) return error;
    return new IoError('database', 'a WAL sync failed; the database is read-only until reopened', { cause: error ?? this.walSyncError });
  }

  /** Runs in sequence order: the commit queue resolves submissions first-in, first-out. */
  private apply(firstSeq: SeqNum, batch: PreparedBatch): void {
    assert(firstSeq > this.visibleSeq, 'batches apply in sequence order');
    applyBatch(this.active, batch.payload, 'write batch');
    this.visibleSeq = toSeqNum(firstSeq + batch.count - 1);
  }

  /** Ends a write that `start` counted in flight, with its estimated `costBytes`: applied or failed. */
  private settle(costBytes: number): void {
    this.pendingBytes -= costBytes;
    this.inFlight--;
    if (this.inFlight > 0) return;
    for (const wake of this.idleWaiters.splice(0)) wake();
  }

  private waitIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /**
   * Starts a switch in the background unless one is running or a failed one is backing off.
   * A failed switch (no space for the new segment, say) leaves the active memtable in place;
   * writes go on into it and a later write tries again.
   */
  requestSwitch(): void {
    if (this.closing || this.gate !== undefined || Date.now() < this.switchRetryAt) return;
    this.runSwitch().catch(() => {
      this.switchRetryAt = Date.now() + SWITCH_RETRY_DELAY_MS;
    });
  }

  /** Switches now (after any running switch), reporting failure to the caller. */
  async switchNow(): Promise<void> {
    while (this.gate !== undefined) await this.gate;
    await this.runSwitch();
  }

  private runSwitch(): Promise<void> {
    const running = this.switchMemtable().finally(() => {
      this.gate = undefined;
    });
    this.gate = running.catch(() => undefined);
    return running;
  }

  private async switchMemtable(): Promise<void> {
    await this.waitIdle();
    if (this.active.isEmpty) return;
    await this.hooks.waitForRoom();
    await this.waitIdle();
    // Default writes in the old segment must be durable before any write in the new one can
    // be acknowledged with sync, or power loss could keep a later write without an earlier one.
    await this.wal.writer.syncFinal().catch((error: unknown) => {
      this.walSyncError = error;
      throw error;
    });
    const segment = await this.takeSegment();
    const old: FrozenMemtable = { memtable: this.active, walNumber: this.wal.number, frozenAt: performance.now() };
    const oldWal = this.wal;
    this.active = newEngineMemtable();
    this.wal = segment;
    old.memtable.freeze();
    this.hooks.onFrozen(old);
    await closeSegment(oldWal);
  }

  /** Waits until no write is queued or in flight and no switch runs. */
  async drainWrites(): Promise<void> {
    for (;;) {
      await this.admission.drain();
      if (this.gate !== undefined) await this.gate;
      else if (this.inFlight > 0) await this.waitIdle();
      else break;
    }
  }

  /**
   * Stops background switches, waits for queued and in-flight writes and any switch, then
   * closes the active segment durably (a failed writer is closed without a sync).
   */
  async close(): Promise<void> {
    this.closing = true;
    await this.drainWrites();
    try {
      if (!this.wal.writer.failed) await this.wal.writer.syncFinal();
    } finally {
      try {
        await closeSegment(this.wal);
      } finally {
        await this.discardPrepared();
      }
    }
  }
}
