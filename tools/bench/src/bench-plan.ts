/**
 * Which engines and jobs a run includes, from the --engines and --workloads flags. A job runs
 * when any of its workloads is selected; fillrandom also runs whenever a job reads its data
 * set; fillrandom-lz4 runs only for engines with an LZ4 option.
 */
import type { EngineFactory } from './engines/engine-adapter.js';
import { ENGINES } from './engines/engine-registry.js';
import type { BenchFlags } from './flags.js';
import { JOBS, WORKLOAD_ORDER } from './workloads/workload-catalog.js';
import type { JobSpec } from './workloads/workload-catalog.js';

export interface BenchPlan {
  engines: readonly EngineFactory[];
  jobs: readonly JobSpec[];
}

export function planBench(flags: BenchFlags): BenchPlan {
  const engineNames = flags.engines;
  const unknownEngine = engineNames?.find((name) => !ENGINES.some((engine) => engine.name === name));
  if (unknownEngine !== undefined) throw new Error(`unknown engine ${unknownEngine}; known: ${ENGINES.map((e) => e.name).join(', ')}`);
  const wanted = flags.workloads;
  const unknownWorkload = wanted?.find((name) => !WORKLOAD_ORDER.includes(name));
  if (unknownWorkload !== undefined) throw new Error(`unknown workload ${unknownWorkload}; known: ${WORKLOAD_ORDER.join(', ')}`);
  const selected = JOBS.filter((spec) => wanted === undefined || spec.workloads.some((name) => wanted.includes(name)));
  const needsDataset = selected.some((spec) => spec.directory === 'dataset');
  const jobs = JOBS.filter((spec) => selected.includes(spec) || (needsDataset && spec.job === 'fillrandom'));
  return { engines: ENGINES.filter((engine) => engineNames === undefined || engineNames.includes(engine.name)), jobs };
}

/** The jobs one engine runs. */
export function jobsFor(plan: BenchPlan, engine: EngineFactory): readonly JobSpec[] {
  return plan.jobs.filter((spec) => spec.needsLz4 !== true || engine.capabilities.lz4);
}
