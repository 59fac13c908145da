/**
 * Timed loops: run an operation up to `count` times or until the time cap, recording each
 * duration with `process.hrtime.bigint()`. The cap is checked after every operation, so a
 * phase overruns it by at most one operation.
 */
import { LatencyHistogram } from './latency-histogram.js';
import { reportProgress } from './progress-channel.js';

export interface LoopLimits {
  count: number;
  capSeconds: number;
}

export interface LoopOutcome {
  ops: number;
  seconds: number;
  capped: boolean;
  histogram: LatencyHistogram;
}

const NS_PER_SECOND = 1e9;

/**
 * The bookkeeping every loop shares: the histogram, the start and the deadline, the last
 * clock reading and progress. Each loop only decides how it calls the operation (awaited,
 * synchronously, or from several writers).
 */
class PhaseClock {
  readonly histogram: LatencyHistogram = new LatencyHistogram();
  readonly start: bigint = process.hrtime.bigint();
  now: bigint = this.start;
  private readonly deadline: bigint;
  private readonly limits: LoopLimits;

  constructor(limits: LoopLimits) {
    this.limits = limits;
    this.deadline = this.start + BigInt(Math.round(limits.capSeconds * NS_PER_SECOND));
  }

  /** Whether operation `index` may start: under the count and before the deadline. */
  mayRun(index: number): boolean {
    return index < this.limits.count && this.now < this.deadline;
  }

  /** Records operation `index`, which started at `before`. */
  record(index: number, before: bigint): void {
    this.now = this.histogram.recordSince(before);
    if (((index + 1) & 1023) === 0) reportProgress(index + 1, this.limits.count);
  }

  finish(ops: number, end: bigint = this.now): LoopOutcome {
    return { ops, seconds: Number(end - this.start) / NS_PER_SECOND, capped: ops < this.limits.count, histogram: this.histogram };
  }
}

/** Awaits `op(i)` for i = 0, 1, ... one at a time. */
export async function runAsyncLoop(limits: LoopLimits, op: (i: number) => Promise<unknown>): Promise<LoopOutcome> {
  const clock = new PhaseClock(limits);
  let ops = 0;
  for (; clock.mayRun(ops); ops++) {
    const before = clock.now;
    await op(ops);
    clock.record(ops, before);
  }
  return clock.finish(ops);
}

/** Calls `op(i)` synchronously, for the engines' synchronous read APIs. */
export function runSyncLoop(limits: LoopLimits, op: (i: number) => unknown): LoopOutcome {
  const clock = new PhaseClock(limits);
  let ops = 0;
  for (; clock.mayRun(ops); ops++) {
    const before = clock.now;
    op(ops);
    clock.record(ops, before);
  }
  return clock.finish(ops);
}

/** `writers` loops share one counter; each awaits its own operation before taking the next. */
export async function runConcurrentLoop(limits: LoopLimits, writers: number, op: (i: number) => Promise<unknown>): Promise<LoopOutcome> {
  const clock = new PhaseClock(limits);
  let next = 0;
  const writer = async (): Promise<void> => {
    while (clock.mayRun(next)) {
      const index = next++;
      const before = process.hrtime.bigint();
      await op(index);
      clock.record(index, before);
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  return clock.finish(clock.histogram.count, process.hrtime.bigint());
}
