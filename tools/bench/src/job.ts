/**
 * One unit of work for a child process: an engine, a workload (or the machine's limits), the
 * directory to use and the run's settings. The parent passes it as JSON on the command line.
 */
import type { BenchSettings } from './settings.js';

export interface BenchJob {
  engine: string;
  workload: string;
  /** The database directory this job opens (created if missing). */
  dir: string;
  settings: BenchSettings;
  /** Records present in the shared data set (fillrandom's count; less if its cap hit). */
  loadedCount: number;
}

/** The pseudo-engine whose job measures the machine's limits. */
export const MACHINE_ENGINE = 'machine';
/** The job that only opens and closes an engine, to find out whether it loads at all. */
export const PROBE_JOB = 'probe';

export function encodeJob(job: BenchJob): string {
  return JSON.stringify(job);
}

/** Parses a job; a malformed one is a bug in the parent, so it throws. */
export function decodeJob(text: string | undefined): BenchJob {
  if (text === undefined) throw new Error('runner: expected a job as the first argument');
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null) throw new Error('runner: the job is not an object');
  const job = parsed as BenchJob;
  if (typeof job.engine !== 'string' || typeof job.workload !== 'string' || typeof job.dir !== 'string') {
    throw new Error('runner: the job lacks engine, workload or dir');
  }
  return job;
}
