/**
 * fillseq and fillrandom (batches into an empty directory). fillrandom's directory becomes the
 * data set of the read workloads; its job also measures space amplification after the fill and
 * after a full compaction, the reopen time, and checks a sample of values byte for byte.
 */
import { diskUsageBytes } from '../disk-usage.js';
import type { OpenOptions } from '../engines/engine-adapter.js';
import { FILL_ORDER_SEED_OFFSET, KeyPicker } from '../key-picker.js';
import { measurePhase } from '../measured-phase.js';
import { shuffledIndexes } from '../rng.js';
import type { WorkloadContext } from '../workload-context.js';
import type { SpaceFigures, WorkloadResult } from '../workload-result.js';
import { batchFill } from './batch-fill.js';
import { countMismatches } from './verify-sample.js';

export async function runFillSeq(context: WorkloadContext): Promise<WorkloadResult[]> {
  return [await fill(context, 'fillseq', {}, (position) => position)];
}

export async function runFillRandom(context: WorkloadContext): Promise<WorkloadResult[]> {
  return [await fillAndCompact(context, 'fillrandom', {})];
}

/** fillrandom with LZ4 pages, for the compressed space-amplification figure. */
export async function runFillRandomLz4(context: WorkloadContext): Promise<WorkloadResult[]> {
  return [await fillAndCompact(context, 'fillrandom-lz4', { lz4: true })];
}

/** A batched fill of `keyCount` records in the order `indexAt` gives. */
export async function fill(context: WorkloadContext, workload: string, open: OpenOptions, indexAt: (position: number) => number): Promise<WorkloadResult> {
  const { settings } = context.job;
  return measurePhase(context, {
    workload,
    open,
    needsData: false,
    latencyUnit: `batch of ${settings.batchSize}`,
    run: async (engine) => {
      const outcome = await batchFill(engine, context.dataset, {
        indexAt, count: settings.keyCount, batchSize: settings.batchSize, capSeconds: settings.fillSeconds,
      });
      return { outcome, userBytesWritten: outcome.ops * context.dataset.recordBytes };
    },
  });
}

async function fillAndCompact(context: WorkloadContext, workload: string, open: OpenOptions): Promise<WorkloadResult> {
  const { settings, dir } = context.job;
  const order = shuffledIndexes(settings.keyCount, settings.seed + FILL_ORDER_SEED_OFFSET);
  const result = await fill(context, workload, open, (position) => order[position] ?? 0);
  if (!context.factory.capabilities.persistent) return result;
  const afterFillBytes = diskUsageBytes(dir);
  const reopenStart = process.hrtime.bigint();
  const engine = await context.factory.open(dir, open);
  const reopenMs = Number(process.hrtime.bigint() - reopenStart) / 1e6;
  const mismatches = await countMismatches(engine, context.dataset, new KeyPicker(settings, result.ops, 3), 0);
  const compaction = await engine.compact();
  await engine.close();
  const afterCompactionBytes = compaction === undefined ? undefined : diskUsageBytes(dir);
  const userBytes = result.ops * context.dataset.recordBytes;
  const space: SpaceFigures = {
    userBytes,
    afterFillBytes,
    afterCompactionBytes,
    afterFill: afterFillBytes / userBytes,
    afterCompaction: afterCompactionBytes === undefined ? undefined : afterCompactionBytes / userBytes,
    compaction: compaction ?? 'none: the engine has no compaction call',
  };
  const failed = mismatches > 0 ? { status: 'failed' as const, note: `${mismatches} of 200 sampled values read back wrong after reopen` } : {};
  return { ...result, ...failed, space, reopenMs, extra: { ...result.extra, verifyMismatches: mismatches } };
}
