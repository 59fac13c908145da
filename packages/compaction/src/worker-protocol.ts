/**
 * The messages between `CompactionWorkerPool` and its workers. Only plain data crosses the
 * thread boundary (structured clone); errors travel as fields and are rebuilt on the main
 * thread so callers can still branch on `code`.
 */
import { IoError, KvError } from '@kv/base';
import type { KvErrorCode } from '@kv/base';
import type { TableProperties } from '@kv/sstable';
import type { CompactionJobInput, CompactionResult } from './compaction-job.js';
import type { TableBuildJobInput } from './table-build-job.js';

/** What a worker runs: a compaction (`runCompaction`) or a table build (`runTableBuild`). */
export type WorkerJob = { kind: 'compaction'; input: CompactionJobInput } | { kind: 'table-build'; input: TableBuildJobInput };

export interface JobRequest {
  id: number;
  job: WorkerJob;
}

export interface SerializedError {
  name: string;
  message: string;
  code: KvErrorCode | undefined;
  osCode: string | undefined;
  stack: string | undefined;
}

export type JobReply = { id: number; ok: true; result: CompactionResult | TableProperties } | { id: number; ok: false; error: SerializedError };

const ERROR_CODES: readonly KvErrorCode[] = ['INVALID_ARGUMENT', 'NOT_OPEN', 'LOCKED', 'CORRUPTION', 'IO_ERROR', 'NO_SPACE', 'READ_ONLY', 'NOT_SUPPORTED'];

export function serializeError(error: unknown): SerializedError {
  if (!(error instanceof Error)) return { name: 'Error', message: String(error), code: undefined, osCode: undefined, stack: undefined };
  const code = error instanceof KvError ? error.code : undefined;
  const osCode = error instanceof IoError ? error.osCode : undefined;
  return { name: error.name, message: error.message, code, osCode, stack: error.stack };
}

/**
 * A `KvError` with the same code (an `IoError` keeps its `osCode`), or a plain `Error` with the
 * same name and message for anything else (an `AssertionError` stays recognisable by name).
 * The worker's stack is kept as `cause`.
 */
export function reviveError(serialized: SerializedError): Error {
  const cause = new Error(`in the compaction worker: ${serialized.stack ?? serialized.message}`);
  const code = ERROR_CODES.find((known) => known === serialized.code);
  if (code === 'IO_ERROR') {
    const options = serialized.osCode === undefined ? { cause } : { cause, osCode: serialized.osCode };
    return new IoError('compaction worker', serialized.message, options);
  }
  if (code !== undefined) return new KvError(code, serialized.message, { cause });
  const error = new Error(serialized.message, { cause });
  error.name = serialized.name;
  return error;
}

/** Narrows a message from the main thread. */
export function isJobRequest(value: unknown): value is JobRequest {
  if (typeof value !== 'object' || value === null || !('id' in value) || typeof value.id !== 'number' || !('job' in value)) return false;
  const job = value.job;
  return typeof job === 'object' && job !== null && 'kind' in job && (job.kind === 'compaction' || job.kind === 'table-build') && 'input' in job;
}

/** Narrows a message from a worker. */
export function isJobReply(value: unknown): value is JobReply {
  return typeof value === 'object' && value !== null && 'id' in value && typeof value.id === 'number' && 'ok' in value && typeof value.ok === 'boolean';
}
