/**
 * fillsync: durable single puts (fsync or fdatasync before each acknowledgement) into an empty
 * directory, first from one writer awaiting each put, then from many concurrent writers, which
 * an engine with group commit can serve with one sync for many writes. The many-writer phase
 * has its own count (`concurrentSyncOps`, ten times the one writer's by default), so that it
 * is not over before the child process has warmed up.
 */
import { measurePhase } from '../measured-phase.js';
import { runAsyncLoop, runConcurrentLoop } from '../phase-loop.js';
import type { WorkloadContext } from '../workload-context.js';
import { emptyResult } from '../workload-result.js';
import type { WorkloadResult } from '../workload-result.js';

export async function runFillSync(context: WorkloadContext): Promise<WorkloadResult[]> {
  return [await fillSync(context, 'fillsync', 1)];
}

export async function runFillSyncConcurrent(context: WorkloadContext): Promise<WorkloadResult[]> {
  return [await fillSync(context, 'fillsync-concurrent', context.job.settings.syncWriters)];
}

async function fillSync(context: WorkloadContext, workload: string, writers: number): Promise<WorkloadResult> {
  const { factory, dataset, job } = context;
  if (!factory.capabilities.durableWrite) return emptyResult(factory.name, workload, 'n/a', 'no durable write');
  const count = writers === 1 ? job.settings.syncOps : job.settings.concurrentSyncOps;
  const limits = { count, capSeconds: job.settings.phaseSeconds };
  return measurePhase(context, {
    workload,
    open: {},
    needsData: false,
    latencyUnit: 'op',
    run: async (engine) => {
      const write = (index: number): Promise<void> => engine.putDurable(dataset.key(index), dataset.value(index, 0));
      const outcome = writers === 1 ? await runAsyncLoop(limits, write) : await runConcurrentLoop(limits, writers, write);
      return { outcome, userBytesWritten: outcome.ops * dataset.recordBytes, extra: { writers } };
    },
  });
}
