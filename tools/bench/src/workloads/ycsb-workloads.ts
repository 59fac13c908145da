/**
 * YCSB core workloads A-F over the data set, with YCSB's scrambled Zipfian key choice (D reads
 * the latest inserts instead). One latency sample is one YCSB operation of whatever kind; a
 * read-modify-write (F) is a read and a put.
 */
import type { Dataset } from '../dataset.js';
import type { EngineAdapter } from '../engines/engine-adapter.js';
import { KeyPicker } from '../key-picker.js';
import { measurePhase } from '../measured-phase.js';
import { runAsyncLoop } from '../phase-loop.js';
import type { WorkloadContext } from '../workload-context.js';
import type { WorkloadResult } from '../workload-result.js';

interface YcsbMix {
  read: number;
  update: number;
  insert: number;
  scan: number;
  readModifyWrite: number;
  distribution: 'zipfian' | 'latest';
}

const NONE = { read: 0, update: 0, insert: 0, scan: 0, readModifyWrite: 0 };

export const YCSB_MIXES: Readonly<Record<string, YcsbMix>> = {
  'ycsb-a': { ...NONE, read: 0.5, update: 0.5, distribution: 'zipfian' },
  'ycsb-b': { ...NONE, read: 0.95, update: 0.05, distribution: 'zipfian' },
  'ycsb-c': { ...NONE, read: 1, distribution: 'zipfian' },
  'ycsb-d': { ...NONE, read: 0.95, insert: 0.05, distribution: 'latest' },
  'ycsb-e': { ...NONE, scan: 0.95, insert: 0.05, distribution: 'zipfian' },
  'ycsb-f': { ...NONE, read: 0.5, readModifyWrite: 0.5, distribution: 'zipfian' },
};

const UPDATE_VERSION = 3;

/** Returns the runner of one YCSB workload. */
export function ycsbRunner(workload: string): (context: WorkloadContext) => Promise<WorkloadResult[]> {
  const mix = YCSB_MIXES[workload];
  if (mix === undefined) throw new Error(`unknown YCSB workload ${workload}`);
  return async (context) => {
    const { job, dataset } = context;
    const picker = new KeyPicker(job.settings, job.loadedCount, 23 + workload.charCodeAt(5));
    const counts = { writes: 0, scanned: 0 };
    return [await measurePhase(context, {
      workload, open: {}, needsData: true, latencyUnit: 'YCSB op',
      run: async (engine) => {
        const step = ycsbStep({ engine, dataset, picker, mix, scanLengthMax: job.settings.scanLengthMax, counts });
        const outcome = await runAsyncLoop({ count: job.settings.opsPerPhase, capSeconds: job.settings.phaseSeconds }, step);
        return { outcome, userBytesWritten: counts.writes * dataset.recordBytes, extra: { ...counts } };
      },
    })];
  };
}

interface StepParts {
  engine: EngineAdapter;
  dataset: Dataset;
  picker: KeyPicker;
  mix: YcsbMix;
  scanLengthMax: number;
  counts: { writes: number; scanned: number };
}

function ycsbStep(parts: StepParts): () => Promise<unknown> {
  const { engine, dataset, picker, mix, counts } = parts;
  const choose = (): number => (mix.distribution === 'latest' ? picker.latest() : picker.zipfian());
  const write = (index: number, version: number): Promise<void> => {
    counts.writes++;
    return engine.put(dataset.key(index), dataset.value(index, version));
  };
  return async () => {
    let roll = picker.chance();
    if ((roll -= mix.read) < 0) return engine.has(dataset.key(choose()));
    if ((roll -= mix.update) < 0) return write(choose(), UPDATE_VERSION);
    if ((roll -= mix.insert) < 0) return write(picker.insert(), 0);
    if ((roll -= mix.scan) < 0) {
      const limit = picker.between(1, parts.scanLengthMax);
      counts.scanned += await engine.scan({ gte: dataset.key(choose()), reverse: false, limit }, () => true);
      return undefined;
    }
    const index = choose();
    await engine.read(dataset.key(index));
    return write(index, UPDATE_VERSION + 1);
  };
}
