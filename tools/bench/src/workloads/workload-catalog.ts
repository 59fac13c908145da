/**
 * Every job in run order, with the workloads (result rows) it produces and what each does.
 * The order matters: fillrandom builds the data set, reads run before the workloads that
 * change it, and deleterandom runs last.
 */
import type { WorkloadRunner } from '../workload-context.js';
import { runFillRandom, runFillRandomLz4, runFillSeq } from './fill-workloads.js';
import { runLargerThanMemory } from './larger-than-memory.js';
import { runReadMissing, runReadRandom, runReadRandomSync, runReadReverse, runReadSeq, runSeekRandom } from './read-workloads.js';
import { runFillSync, runFillSyncConcurrent } from './sync-workloads.js';
import { runDeleteRandom, runOverwrite, runReadWhileWriting } from './update-workloads.js';
import { ycsbRunner } from './ycsb-workloads.js';

/** Where a job's database lives: a fresh directory of its own, or the shared data set. */
export type JobDirectory = 'fresh' | 'dataset';

export interface JobSpec {
  job: string;
  directory: JobDirectory;
  /** Only for engines with LZ4 (fillrandom-lz4). */
  needsLz4?: boolean;
  workloads: readonly string[];
  run: WorkloadRunner;
}

export const JOBS: readonly JobSpec[] = [
  { job: 'fillseq', directory: 'fresh', workloads: ['fillseq'], run: runFillSeq },
  { job: 'fillrandom', directory: 'dataset', workloads: ['fillrandom'], run: runFillRandom },
  { job: 'fillrandom-lz4', directory: 'fresh', needsLz4: true, workloads: ['fillrandom-lz4'], run: runFillRandomLz4 },
  { job: 'fillsync', directory: 'fresh', workloads: ['fillsync'], run: runFillSync },
  { job: 'fillsync-concurrent', directory: 'fresh', workloads: ['fillsync-concurrent'], run: runFillSyncConcurrent },
  { job: 'readrandom', directory: 'dataset', workloads: ['readrandom'], run: runReadRandom },
  { job: 'readrandom-sync', directory: 'dataset', workloads: ['readrandom-sync'], run: runReadRandomSync },
  { job: 'readmissing', directory: 'dataset', workloads: ['readmissing'], run: runReadMissing },
  { job: 'readseq', directory: 'dataset', workloads: ['readseq'], run: runReadSeq },
  { job: 'readreverse', directory: 'dataset', workloads: ['readreverse'], run: runReadReverse },
  { job: 'seekrandom', directory: 'dataset', workloads: ['seekrandom'], run: runSeekRandom },
  { job: 'overwrite', directory: 'dataset', workloads: ['overwrite'], run: runOverwrite },
  { job: 'readwhilewriting', directory: 'dataset', workloads: ['readwhilewriting'], run: runReadWhileWriting },
  ...['ycsb-a', 'ycsb-b', 'ycsb-c', 'ycsb-d', 'ycsb-e', 'ycsb-f'].map((name) => ({ job: name, directory: 'dataset' as const, workloads: [name], run: ycsbRunner(name) })),
  { job: 'deleterandom', directory: 'dataset', workloads: ['deleterandom'], run: runDeleteRandom },
  { job: 'ltm', directory: 'fresh', workloads: ['ltm-fill', 'ltm-readrandom'], run: runLargerThanMemory },
];

/** One line per workload, for the report and the README. */
export const WORKLOAD_DESCRIPTIONS: Readonly<Record<string, string>> = {
  'fillseq': 'keys in ascending order into an empty database, in batches',
  'fillrandom': 'keys in a seeded random order into an empty database, in batches; this is the data set the reads use',
  'fillrandom-lz4': 'fillrandom with LZ4 page compression (engines with an LZ4 option), for compressed space amplification',
  'fillsync': 'one durable put at a time (fsync/fdatasync before the acknowledgement), one writer',
  'fillsync-concurrent': 'durable puts from many concurrent writers (--writers, default 64), ten times as many as fillsync (--concurrent-sync-ops)',
  'readrandom': 'await get of a uniformly random present key',
  'readrandom-sync': 'the same through a synchronous get (n/a where the engine has none)',
  'readmissing': 'await get of a key that sorts between present keys but was never written',
  'readseq': 'one forward iterator over the data set',
  'readreverse': 'one reverse iterator over the data set',
  'seekrandom': 'iterator seek to a random present key, then 10 nexts',
  'overwrite': 'one awaited put at a time to a random present key (the engine\'s default durability)',
  'readwhilewriting': 'await get of random keys while a writer loop puts as fast as the engine acknowledges',
  'ycsb-a': 'YCSB A: 50% read, 50% update, Zipfian keys',
  'ycsb-b': 'YCSB B: 95% read, 5% update, Zipfian keys',
  'ycsb-c': 'YCSB C: 100% read, Zipfian keys',
  'ycsb-d': 'YCSB D: 95% read of the latest keys, 5% insert',
  'ycsb-e': 'YCSB E: 95% short scans (1-100 entries, Zipfian start), 5% insert',
  'ycsb-f': 'YCSB F: 50% read, 50% read-modify-write, Zipfian keys',
  'deleterandom': 'one awaited delete at a time of a random present key',
  'ltm-fill': 'fillrandom with the memory budget far below the data size (--small-budget-mib)',
  'ltm-readrandom': 'readrandom after reopening that database with the same small budget',
};

/** Every workload (result row) in report order. */
export const WORKLOAD_ORDER: readonly string[] = JOBS.flatMap((spec) => spec.workloads);
