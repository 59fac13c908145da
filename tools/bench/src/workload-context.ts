/**
 * What a workload function gets: the job, the engine's factory, the generated data and the
 * helpers every phase shares.
 */
import type { Dataset } from './dataset.js';
import type { EngineFactory } from './engines/engine-adapter.js';
import type { BenchJob } from './job.js';
import type { WorkloadResult } from './workload-result.js';

export interface WorkloadContext {
  job: BenchJob;
  factory: EngineFactory;
  dataset: Dataset;
}

/** Runs one job and returns one result per workload it measured. */
export type WorkloadRunner = (context: WorkloadContext) => Promise<WorkloadResult[]>;
