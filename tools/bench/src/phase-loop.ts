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

/** Awaits `op(i)` for i = 0, 1, ... one at a time. */
export async function runAsyncLoop(limits: LoopLimits, op: (i: number) => Promise<unknown>): Promise<LoopOutcome> {
  const histogram = new LatencyHistogram();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(limits.capSeconds * NS_PER_SECOND));
  let now = start;
  let ops = 0;
  while (ops < limits.count && now < deadline) {
    const before = now;
    await op(ops);
    now = histogram.recordSince(before);
    ops++;
    if ((ops & 1023) === 0) reportProgress(ops, limits.count);
  }
  return finish(histogram, ops, limits, Number(now - start) / NS_PER_SECOND);
}

/** Calls `op(i)` synchronously, for the engines' synchronous read APIs. */
export function runSyncLoop(limits: LoopLimits, op: (i: number) => unknown): LoopOutcome {
  const histogram = new LatencyHistogram();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(limits.capSeconds * NS_PER_SECOND));
  let now = start;
  let ops = 0;
  while (ops < limits.count && now < deadline) {
    const before = now;
    op(ops);
    now = histogram.recordSince(before);
    ops++;
    if ((ops & 1023) === 0) reportProgress(ops, limits.count);
  }
  return finish(histogram, ops, limits, Number(now - start) / NS_PER_SECOND);
}

/** `writers` loops share one counter; each awaits its own operation before taking the next. */
export async function runConcurrentLoop(limits: LoopLimits, writers: number, op: (i: number) => Promise<unknown>): Promise<LoopOutcome> {
  const histogram = new LatencyHistogram();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(limits.capSeconds * NS_PER_SECOND));
  let next = 0;
  let last = start;
  const writer = async (): Promise<void> => {
    while (next < limits.count && last < deadline) {
      const index = next++;
      const before = process.hrtime.bigint();
      await op(index);
      last = histogram.recordSince(before);
      if ((index & 1023) === 0) reportProgress(index, limits.count);
    }
  };
  await Promise.all(Array.from({ length: writers }, writer));
  const ops = histogram.count;
  return finish(histogram, ops, limits, Number(process.hrtime.bigint() - start) / NS_PER_SECOND);
}

function finish(histogram: LatencyHistogram, ops: number, limits: LoopLimits, seconds: number): LoopOutcome {
  return { ops, seconds, capped: ops < limits.count, histogram };
}
