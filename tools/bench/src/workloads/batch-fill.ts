/**
 * The batched fill shared by fillseq, fillrandom and the larger-than-memory run: records in a
 * given order, `batchSize` per write call. Each batch is built before its timer starts, so
 * generating keys and values is not charged to the engine; the phase time is the sum of the
 * timed write calls, and one latency sample is one batch.
 */
import type { Dataset } from '../dataset.js';
import type { EngineAdapter, KeyValue } from '../engines/engine-adapter.js';
import { LatencyHistogram } from '../latency-histogram.js';
import type { LoopOutcome } from '../phase-loop.js';
import { reportProgress } from '../progress-channel.js';

export interface BatchFillPlan {
  /** Record index at each position of the fill order. */
  indexAt: (position: number) => number;
  count: number;
  batchSize: number;
  capSeconds: number;
}

export async function batchFill(engine: EngineAdapter, dataset: Dataset, plan: BatchFillPlan): Promise<LoopOutcome> {
  const histogram = new LatencyHistogram();
  const wallStart = process.hrtime.bigint();
  const deadline = wallStart + BigInt(Math.round(plan.capSeconds * 1e9));
  let timedNs = 0;
  let written = 0;
  while (written < plan.count && process.hrtime.bigint() < deadline) {
    const entries = buildBatch(dataset, plan, written);
    const before = process.hrtime.bigint();
    await engine.putBatch(entries);
    const after = histogram.recordSince(before);
    timedNs += Number(after - before);
    written += entries.length;
    reportProgress(written, plan.count);
  }
  return { ops: written, seconds: timedNs / 1e9, capped: written < plan.count, histogram };
}

function buildBatch(dataset: Dataset, plan: BatchFillPlan, first: number): KeyValue[] {
  const end = Math.min(plan.count, first + plan.batchSize);
  const entries: KeyValue[] = [];
  for (let position = first; position < end; position++) {
    const index = plan.indexAt(position);
    entries.push({ key: dataset.key(index), value: dataset.value(index, 0) });
  }
  return entries;
}
