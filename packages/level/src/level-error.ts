/**
 * Errors in abstract-level's vocabulary. Engine errors (`KvError`) are rethrown with the
 * `LEVEL_*` code abstract-level documents for the same failure, the engine's message, and
 * the original error as `cause`, so callers can branch on either code.
 */
import { isKvError } from '@kv/db';
import type { KvErrorCode } from '@kv/db';

/** An error with an abstract-level `code` (the shape of abstract-level's own ModuleError). */
export class LevelError extends Error {
  readonly code: string;

  constructor(message: string, options: { code: string; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code;
    this.name = 'LevelError';
  }
}

/**
 * The abstract-level code for each engine code. INVALID_ARGUMENT has no abstract-level
 * counterpart (abstract-level reports programming mistakes without a code), so such errors
 * keep their engine code. NO_SPACE is an I/O failure to abstract-level, as in classic-level.
 */
const LEVEL_CODES: Record<KvErrorCode, string | undefined> = {
  LOCKED: 'LEVEL_LOCKED',
  CORRUPTION: 'LEVEL_CORRUPTION',
  IO_ERROR: 'LEVEL_IO_ERROR',
  NO_SPACE: 'LEVEL_IO_ERROR',
  READ_ONLY: 'LEVEL_READONLY',
  NOT_SUPPORTED: 'LEVEL_NOT_SUPPORTED',
  NOT_OPEN: 'LEVEL_DATABASE_NOT_OPEN',
  INVALID_ARGUMENT: undefined,
};

/** `error` as abstract-level callers expect it; anything but an engine error is returned as is. */
export function toLevelError(error: unknown): unknown {
  if (!isKvError(error)) return error;
  const code = LEVEL_CODES[error.code];
  return code === undefined ? error : new LevelError(error.message, { code, cause: error });
}

/** The error for a read that needs the engine while KvLevel holds none (closed). */
export function notOpenError(): LevelError {
  return new LevelError('Database is not open', { code: 'LEVEL_DATABASE_NOT_OPEN' });
}
