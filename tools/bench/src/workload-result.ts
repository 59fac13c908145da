/**
 * What a child reports for one workload, and what the parent aggregates into the JSON output.
 * Times are seconds unless the name says otherwise; sizes are bytes.
 */
import type { LatencySummary } from './latency-histogram.js';

export type ResultStatus = 'ok' | 'n/a' | 'failed';

export interface SpaceFigures {
  /** Live user bytes: records present × (key + value bytes). */
  userBytes: number;
  afterFillBytes: number;
  afterCompactionBytes: number | undefined;
  afterFill: number;
  afterCompaction: number | undefined;
  /** How the engine was compacted, or why it was not. */
  compaction: string;
}

export interface WorkloadResult {
  engine: string;
  workload: string;
  status: ResultStatus;
  /** Why a result is n/a or failed, or a caveat about an ok one. */
  note: string | undefined;
  ops: number;
  seconds: number;
  opsPerSec: number;
  /** The phase's time cap stopped it before its operation count. */
  capped: boolean;
  latency: LatencySummary | undefined;
  /** What one latency sample covers: one operation, a batch, or a chunk of a scan. */
  latencyUnit: string;
  /** Key + value bytes the workload asked the engine to write. */
  userBytesWritten: number;
  /** /proc/self/io write_bytes over the phase, including close. */
  diskBytesWritten: number;
  writeAmp: number | undefined;
  peakRssBytes: number;
  /** Time to open the engine in this child (reopen of an existing directory for most jobs). */
  openMs: number;
  space: SpaceFigures | undefined;
  /** Close, then open again, of the freshly filled data set (fillrandom only). */
  reopenMs: number | undefined;
  /** Workload-specific counts, e.g. misses found or writes done by the background writer. */
  extra: Record<string, number>;
}

/** A result with no measurement: an engine that lacks the feature, or a job that failed. */
export function emptyResult(engine: string, workload: string, status: ResultStatus, note: string): WorkloadResult {
  return {
    engine, workload, status, note,
    ops: 0, seconds: 0, opsPerSec: 0, capped: false, latency: undefined, latencyUnit: 'op',
    userBytesWritten: 0, diskBytesWritten: 0, writeAmp: undefined, peakRssBytes: 0, openMs: 0,
    space: undefined, reopenMs: undefined, extra: {},
  };
}
