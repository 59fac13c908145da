/**
 * The frame around every timed phase: open the engine (timed), refill an in-memory engine,
 * read the kernel's I/O counters, run the phase, close, read them again, and turn it all into
 * a `WorkloadResult`. Writes counted include the close, so a flush on close is not hidden.
 */
import type { EngineAdapter, OpenOptions } from './engines/engine-adapter.js';
import type { LoopOutcome } from './phase-loop.js';
import { peakRssBytes, readIoCounters } from './process-meter.js';
import { KeyPicker } from './key-picker.js';
import type { WorkloadContext } from './workload-context.js';
import type { WorkloadResult } from './workload-result.js';

export interface PhaseRun {
  outcome: LoopOutcome;
  userBytesWritten: number;
  extra?: Record<string, number>;
  note?: string;
}

export interface PhaseSpec {
  workload: string;
  open: OpenOptions;
  /** The phase reads the shared data set, so an in-memory engine must be refilled first. */
  needsData: boolean;
  latencyUnit: string;
  run: (engine: EngineAdapter) => Promise<PhaseRun>;
}

export async function measurePhase(context: WorkloadContext, spec: PhaseSpec): Promise<WorkloadResult> {
  const openStart = process.hrtime.bigint();
  const engine = await context.factory.open(context.job.dir, spec.open);
  const openMs = Number(process.hrtime.bigint() - openStart) / 1e6;
  if (spec.needsData && !context.factory.capabilities.persistent) await refill(context, engine);
  const ioBefore = readIoCounters();
  const run = await spec.run(engine);
  await engine.close();
  const ioAfter = readIoCounters();
  const diskBytesWritten = ioAfter.writeBytes - ioBefore.writeBytes;
  const { outcome } = run;
  return {
    engine: context.factory.name,
    workload: spec.workload,
    status: 'ok',
    note: run.note,
    ops: outcome.ops,
    seconds: outcome.seconds,
    opsPerSec: outcome.seconds > 0 ? outcome.ops / outcome.seconds : 0,
    capped: outcome.capped,
    latency: outcome.histogram.summary(),
    latencyUnit: spec.latencyUnit,
    userBytesWritten: run.userBytesWritten,
    diskBytesWritten,
    writeAmp: run.userBytesWritten > 0 && context.factory.capabilities.persistent ? diskBytesWritten / run.userBytesWritten : undefined,
    peakRssBytes: peakRssBytes(),
    openMs,
    space: undefined,
    reopenMs: undefined,
    extra: run.extra ?? {},
  };
}

/** Writes the data set's records into an engine that forgot them (the in-memory baseline). */
async function refill(context: WorkloadContext, engine: EngineAdapter): Promise<void> {
  const { settings, loadedCount } = context.job;
  const picker = new KeyPicker(settings, loadedCount, 0);
  for (let start = 0; start < picker.loadedCount; start += settings.batchSize) {
    const end = Math.min(picker.loadedCount, start + settings.batchSize);
    const entries = [];
    for (let position = start; position < end; position++) {
      const index = picker.present(position);
      entries.push({ key: context.dataset.key(index), value: context.dataset.value(index, 0) });
    }
    await engine.putBatch(entries);
  }
}
