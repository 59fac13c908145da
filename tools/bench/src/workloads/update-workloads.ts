/**
 * Workloads that change the data set: overwrite (one awaited put at a time over present keys),
 * readwhilewriting (point reads while a writer puts as fast as the engine lets it) and
 * deleterandom (one awaited delete at a time; it runs last, since it shrinks the data set).
 */
import type { EngineAdapter } from '../engines/engine-adapter.js';
import { KeyPicker } from '../key-picker.js';
import { measurePhase } from '../measured-phase.js';
import { LatencyHistogram } from '../latency-histogram.js';
import { runAsyncLoop } from '../phase-loop.js';
import type { LoopOutcome } from '../phase-loop.js';
import { reportProgress } from '../progress-channel.js';
import type { WorkloadContext } from '../workload-context.js';
import type { WorkloadResult } from '../workload-result.js';

const OVERWRITE_VERSION = 1;
const BACKGROUND_WRITE_VERSION = 2;

export async function runOverwrite(context: WorkloadContext): Promise<WorkloadResult[]> {
  const { job, dataset } = context;
  const picker = new KeyPicker(job.settings, job.loadedCount, 13);
  return [await measurePhase(context, {
    workload: 'overwrite', open: {}, needsData: true, latencyUnit: 'op',
    run: async (engine) => {
      const outcome = await runAsyncLoop(limitsOf(context), () => {
        const index = picker.uniform();
        return engine.put(dataset.key(index), dataset.value(index, OVERWRITE_VERSION));
      });
      return { outcome, userBytesWritten: outcome.ops * dataset.recordBytes };
    },
  })];
}

export async function runDeleteRandom(context: WorkloadContext): Promise<WorkloadResult[]> {
  const { job, dataset } = context;
  const picker = new KeyPicker(job.settings, job.loadedCount, 15);
  return [await measurePhase(context, {
    workload: 'deleterandom', open: {}, needsData: true, latencyUnit: 'op',
    run: async (engine) => {
      const outcome = await runAsyncLoop(limitsOf(context), () => engine.delete(dataset.key(picker.uniform())));
      return { outcome, userBytesWritten: outcome.ops * dataset.keyBytes };
    },
  })];
}

/** The reported figures are the reader's; the writer's count is in `extra.writes`. */
export async function runReadWhileWriting(context: WorkloadContext): Promise<WorkloadResult[]> {
  const { job, dataset } = context;
  const reads = new KeyPicker(job.settings, job.loadedCount, 17);
  const writes = new KeyPicker(job.settings, job.loadedCount, 19);
  return [await measurePhase(context, {
    workload: 'readwhilewriting', open: {}, needsData: true, latencyUnit: 'read',
    run: async (engine) => {
      const writer = startWriter(engine, (() => {
        const index = writes.uniform();
        return [dataset.key(index), dataset.value(index, BACKGROUND_WRITE_VERSION)] as const;
      }));
      const outcome = await runYieldingLoop(limitsOf(context), () => engine.has(dataset.key(reads.uniform())));
      const written = await writer.stop();
      const writesPerSec = outcome.seconds > 0 ? written / outcome.seconds : 0;
      return { outcome, userBytesWritten: written * dataset.recordBytes, extra: { writes: written, writesPerSec } };
    },
  })];
}

interface BackgroundWriter {
  /** Stops after the write in flight and returns how many writes completed. */
  stop(): Promise<number>;
}

function startWriter(engine: EngineAdapter, next: () => readonly [Buffer, Buffer]): BackgroundWriter {
  let running = true;
  let count = 0;
  const loop = (async (): Promise<void> => {
    while (running) {
      const [key, value] = next();
      await engine.put(key, value);
      count++;
      await yieldToEventLoop();
    }
  })();
  return {
    async stop(): Promise<number> {
      running = false;
      await loop;
      return count;
    },
  };
}

/**
 * Both loops give the event loop a turn after each operation. Without it, an engine whose
 * promises resolve without an event-loop turn lets one loop starve the other (a reader never
 * sees a write, or a writer blocks thread-pool reads from ever completing). The yield happens
 * between operations, outside the timed region.
 */
function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

async function runYieldingLoop(limits: { count: number; capSeconds: number }, op: () => Promise<unknown>): Promise<LoopOutcome> {
  const histogram = new LatencyHistogram();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(limits.capSeconds * 1e9));
  let ops = 0;
  while (ops < limits.count && process.hrtime.bigint() < deadline) {
    await yieldToEventLoop();
    const before = process.hrtime.bigint();
    await op();
    histogram.recordSince(before);
    ops++;
    if ((ops & 1023) === 0) reportProgress(ops, limits.count);
  }
  return { ops, seconds: Number(process.hrtime.bigint() - start) / 1e9, capped: ops < limits.count, histogram };
}

function limitsOf(context: WorkloadContext): { count: number; capSeconds: number } {
  return { count: context.job.settings.opsPerPhase, capSeconds: context.job.settings.phaseSeconds };
}
