/**
 * Admits writes strictly in call order. Admission runs the write's `start` step (taking its
 * sequence numbers and submitting its WAL record) at the moment it is admitted, so the order
 * of `start` calls is the order of the calls to `admit`, whatever waiting happened between.
 *
 * A write is admitted at once when nothing is queued and the policy says so; otherwise it
 * queues behind the others and one pump admits the head when it may: after a switch in
 * progress ends, after a switch the head asked for (a failed one fails only that write), or
 * after one slowdown delay.
 */
import { assert } from '@kv/base';

export type Verdict = 'admit' | 'switch' | 'slow';

export interface AdmissionPolicy {
  /** What a write of `costBytes` must do before it may start; `slowed` if it was already delayed. */
  verdict(costBytes: number, slowed: boolean): Verdict;
  /** The switch in progress, if any (it never rejects). */
  blocker(): Promise<void> | undefined;
  /** Runs a switch now, reporting failure. */
  makeRoom(): Promise<void>;
  /** Delays one write so a flush that is behind gets time. */
  slowDown(): Promise<void>;
}

interface Waiter {
  costBytes: number;
  slowed: boolean;
  start: () => void;
  reject: (error: unknown) => void;
}

export class AdmissionQueue {
  private readonly policy: AdmissionPolicy;
  private readonly waiters: Waiter[] = [];
  /** The pump admitting queued writes; cleared in the same step that sees the queue empty. */
  private pumping: Promise<void> | undefined;

  constructor(policy: AdmissionPolicy) {
    this.policy = policy;
  }

  /**
   * Runs `start` once the write is admitted. A write admitted at once gets `start`'s result
   * itself (or its exception), with no promise in between; a queued one gets a promise of it.
   */
  admit<T>(costBytes: number, start: () => T): T | Promise<T> {
    if (this.pumping === undefined && this.policy.blocker() === undefined && this.policy.verdict(costBytes, false) === 'admit') return start();
    return new Promise<T>((resolve, reject) => {
      this.waiters.push({ costBytes, slowed: false, reject, start: () => resolve(start()) });
      this.pumping ??= this.pump();
    });
  }

  /** Resolves once every queued write has been admitted or failed. */
  async drain(): Promise<void> {
    while (this.pumping !== undefined) await this.pumping;
  }

  /** Admits queued writes in order. The queue is seen empty and `pumping` cleared in one step. */
  private async pump(): Promise<void> {
    try {
      for (let head = this.waiters[0]; head !== undefined; head = this.waiters[0]) {
        const waiting = this.advance(head);
        if (waiting !== undefined) await waiting;
      }
    } finally {
      this.pumping = undefined;
    }
  }

  /** Admits the head if it may go now; otherwise returns what it must wait for. */
  private advance(head: Waiter): Promise<void> | undefined {
    const blocker = this.policy.blocker();
    if (blocker !== undefined) return blocker;
    const verdict = this.policy.verdict(head.costBytes, head.slowed);
    if (verdict === 'admit') {
      this.admitHead(head);
      return undefined;
    }
    if (verdict === 'slow') {
      head.slowed = true;
      return this.policy.slowDown();
    }
    return this.policy.makeRoom().catch((error: unknown) => this.failHead(head, error));
  }

  private admitHead(head: Waiter): void {
    assert(this.waiters[0] === head, 'the head is admitted first');
    this.waiters.shift();
    try {
      head.start();
    } catch (error) {
      head.reject(error);
    }
  }

  private failHead(head: Waiter, error: unknown): void {
    if (this.waiters[0] !== head) return;
    this.waiters.shift();
    head.reject(error);
  }
}
