/**
 * The larger-than-memory run: a fresh fillrandom with the engine's memory limit set far below
 * the data size, then random reads after a reopen. Engines with no such limit run with their
 * defaults, and the note says so; the in-memory baseline cannot take part.
 */
import { FILL_ORDER_SEED_OFFSET, KeyPicker } from '../key-picker.js';
import { measurePhase } from '../measured-phase.js';
import { runAsyncLoop } from '../phase-loop.js';
import { shuffledIndexes } from '../rng.js';
import type { WorkloadContext } from '../workload-context.js';
import { emptyResult } from '../workload-result.js';
import type { WorkloadResult } from '../workload-result.js';
import { fill } from './fill-workloads.js';

export async function runLargerThanMemory(context: WorkloadContext): Promise<WorkloadResult[]> {
  const { factory, job } = context;
  const { settings } = job;
  if (!factory.capabilities.persistent) {
    const note = 'an in-memory engine cannot hold more than memory';
    return [emptyResult(factory.name, 'ltm-fill', 'n/a', note), emptyResult(factory.name, 'ltm-readrandom', 'n/a', note)];
  }
  const open = factory.capabilities.memoryBudget ? { memoryBudgetBytes: settings.smallBudgetBytes } : {};
  const note = factory.capabilities.memoryBudget
    ? `memory budget ${formatMiB(settings.smallBudgetBytes)} for ${formatMiB(settings.keyCount * context.dataset.recordBytes)} of data`
    : 'no memory limit to set: engine defaults';
  const order = shuffledIndexes(settings.keyCount, settings.seed + FILL_ORDER_SEED_OFFSET);
  const filled = await fill(context, 'ltm-fill', open, (position) => order[position] ?? 0);
  const picker = new KeyPicker(settings, filled.ops, 11);
  const read = await measurePhase(context, {
    workload: 'ltm-readrandom',
    open,
    needsData: false,
    latencyUnit: 'op',
    run: async (engine) => {
      const outcome = await runAsyncLoop({ count: settings.opsPerPhase, capSeconds: settings.phaseSeconds }, () => engine.has(context.dataset.key(picker.uniform())));
      return { outcome, userBytesWritten: 0 };
    },
  });
  return [{ ...filled, note }, { ...read, note }];
}

function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}
