/**
 * What flushes and compactions share when a job fails: deciding whether retrying can help,
 * reporting the failure as a KvError, and a doubling backoff that `cancel()` cuts short (so
 * closing the database never waits out a retry delay).
 */
import { IoError, isKvError } from '@kv/base';
import type { KvError } from '@kv/base';

const RETRY_DELAY_MIN_MS = 50;
/**
 * At most a second between attempts (RocksDB's `bg_error_resume_retry_interval` is the same),
 * so writers held by a full disk resume within about a second of space returning. With 5 s, a
 * level-0 job that needs a smaller retry after space returns took two full delays.
 */
const RETRY_DELAY_MAX_MS = 1000;

export interface BackgroundFailure {
  /** The error as writers and callers see it: always a KvError, the original kept as cause. */
  reported: KvError;
  /** Retrying cannot help: a failed manifest (an edit's fate unknown), corruption, or a bug. */
  fatal: boolean;
}

/** Classifies a failed background job of `what` ('flush', 'compaction'). */
export function classifyFailure(what: string, error: unknown, manifestFailed: boolean): BackgroundFailure {
  const reported = isKvError(error) ? error : new IoError(what, 'failed', { cause: error });
  const fatal = manifestFailed || !isKvError(error) || error.code === 'CORRUPTION';
  return { reported, fatal };
}

export class RetryBackoff {
  private delayMs = RETRY_DELAY_MIN_MS;
  private cancelWait: (() => void) | undefined;

  /** After a success: the next failure waits the shortest delay again. */
  reset(): void {
    this.delayMs = RETRY_DELAY_MIN_MS;
  }

  /** Waits the current delay (or until `cancel()`), then doubles it up to the maximum. */
  wait(): Promise<void> {
    const delayMs = this.delayMs;
    this.delayMs = Math.min(delayMs * 2, RETRY_DELAY_MAX_MS);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, delayMs);
      this.cancelWait = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  cancel(): void {
    this.cancelWait?.();
  }
}
