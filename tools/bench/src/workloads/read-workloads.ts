/**
 * Reads over the data set fillrandom left: point reads of present keys (async and sync APIs)
 * and of missing keys, full scans forward and backward, and seeks followed by ten nexts.
 */
import { KeyPicker } from '../key-picker.js';
import { measurePhase } from '../measured-phase.js';
import { runAsyncLoop, runSyncLoop } from '../phase-loop.js';
import type { WorkloadContext } from '../workload-context.js';
import { emptyResult } from '../workload-result.js';
import type { WorkloadResult } from '../workload-result.js';
import { scanAll } from './scan-all.js';
import { countMismatches } from './verify-sample.js';

const SEEK_NEXTS = 10;

export async function runReadRandom(context: WorkloadContext): Promise<WorkloadResult[]> {
  const { job, dataset } = context;
  const picker = new KeyPicker(job.settings, job.loadedCount, 5);
  return [await measurePhase(context, {
    workload: 'readrandom', open: {}, needsData: true, latencyUnit: 'op',
    run: async (engine) => {
      const mismatches = await countMismatches(engine, dataset, new KeyPicker(job.settings, job.loadedCount, 6), 0);
      let misses = 0;
      const outcome = await runAsyncLoop(limitsOf(context), async () => {
        if (!(await engine.has(dataset.key(picker.uniform())))) misses++;
      });
      return { outcome, userBytesWritten: 0, extra: { misses, verifyMismatches: mismatches }, ...mismatchNote(mismatches) };
    },
  })];
}

export async function runReadRandomSync(context: WorkloadContext): Promise<WorkloadResult[]> {
  const { job, dataset, factory } = context;
  if (!factory.capabilities.syncRead) return [emptyResult(factory.name, 'readrandom-sync', 'n/a', 'no synchronous get')];
  const picker = new KeyPicker(job.settings, job.loadedCount, 5);
  return [await measurePhase(context, {
    workload: 'readrandom-sync', open: {}, needsData: true, latencyUnit: 'op',
    run: async (engine) => {
      let misses = 0;
      const outcome = runSyncLoop(limitsOf(context), () => {
        if (!engine.hasSync(dataset.key(picker.uniform()))) misses++;
      });
      return { outcome, userBytesWritten: 0, extra: { misses } };
    },
  })];
}

export async function runReadMissing(context: WorkloadContext): Promise<WorkloadResult[]> {
  const { job, dataset } = context;
  const picker = new KeyPicker(job.settings, job.loadedCount, 7);
  return [await measurePhase(context, {
    workload: 'readmissing', open: {}, needsData: true, latencyUnit: 'op',
    run: async (engine) => {
      let found = 0;
      const outcome = await runAsyncLoop(limitsOf(context), async () => {
        if (await engine.has(dataset.missingKey(picker.uniform()))) found++;
      });
      return { outcome, userBytesWritten: 0, extra: { found } };
    },
  })];
}

export async function runReadSeq(context: WorkloadContext): Promise<WorkloadResult[]> {
  return [await scanAll(context, 'readseq', false)];
}

export async function runReadReverse(context: WorkloadContext): Promise<WorkloadResult[]> {
  return [await scanAll(context, 'readreverse', true)];
}

export async function runSeekRandom(context: WorkloadContext): Promise<WorkloadResult[]> {
  const { job, dataset } = context;
  const picker = new KeyPicker(job.settings, job.loadedCount, 9);
  return [await measurePhase(context, {
    workload: 'seekrandom', open: {}, needsData: true, latencyUnit: `seek + ${SEEK_NEXTS} nexts`,
    run: async (engine) => {
      let entries = 0;
      const outcome = await runAsyncLoop(limitsOf(context), async () => {
        entries += await engine.scan({ gte: dataset.key(picker.uniform()), reverse: false, limit: SEEK_NEXTS + 1 }, () => true);
      });
      return { outcome, userBytesWritten: 0, extra: { entries } };
    },
  })];
}

function limitsOf(context: WorkloadContext): { count: number; capSeconds: number } {
  return { count: context.job.settings.opsPerPhase, capSeconds: context.job.settings.phaseSeconds };
}

function mismatchNote(mismatches: number): { note?: string } {
  return mismatches > 0 ? { note: `${mismatches} of 200 sampled values read back wrong` } : {};
}
