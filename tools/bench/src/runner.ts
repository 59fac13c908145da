/**
 * The child process: runs one job for one engine and sends the result to the parent. Each
 * engine runs in children of its own so that peak RSS and /proc/self/io belong to it alone.
 * Usage (by the parent only): node dist/runner.js '<job JSON>'.
 */
import type { FinalMessage } from './child-message.js';
import { Dataset } from './dataset.js';
import { findEngine } from './engines/engine-registry.js';
import { MACHINE_ENGINE, PROBE_JOB, decodeJob } from './job.js';
import type { BenchJob } from './job.js';
import { measureMachineLimits } from './machine-limits.js';
import { JOBS } from './workloads/workload-catalog.js';

async function runJob(job: BenchJob): Promise<FinalMessage> {
  if (job.engine === MACHINE_ENGINE) return { type: 'limits', limits: measureMachineLimits(job.dir, job.settings.phaseSeconds) };
  const factory = findEngine(job.engine);
  if (factory === undefined) return { type: 'error', message: `unknown engine ${job.engine}` };
  if (job.workload === PROBE_JOB) {
    const start = process.hrtime.bigint();
    const engine = await factory.open(job.dir, {});
    await engine.close();
    return { type: 'probe', openMs: Number(process.hrtime.bigint() - start) / 1e6 };
  }
  const spec = JOBS.find((candidate) => candidate.job === job.workload);
  if (spec === undefined) return { type: 'error', message: `unknown job ${job.workload}` };
  const dataset = new Dataset({ keyBytes: job.settings.keyBytes, valueBytes: job.settings.valueBytes, seed: job.settings.seed });
  return { type: 'results', results: await spec.run({ job, factory, dataset }) };
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.message}${error.stack === undefined ? '' : `\n${error.stack}`}`;
  return String(error);
}

/** Sends the final message and exits: some engines keep threads or handles that would keep the
 *  process alive, and the parent measures nothing after this point. */
function finish(message: FinalMessage): void {
  if (process.send === undefined) {
    process.stdout.write(`${JSON.stringify(message)}\n`);
    process.exit(message.type === 'error' ? 1 : 0);
  }
  process.send(message, () => process.exit(message.type === 'error' ? 1 : 0));
}

runJob(decodeJob(process.argv[2])).then(finish, (error: unknown) => finish({ type: 'error', message: describeError(error) }));
