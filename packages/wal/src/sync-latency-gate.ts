/**
 * Decides whether a log sync may hold the calling thread (`VfsFile.syncBlocking`) or goes to
 * libuv's thread pool (`VfsFile.sync`).
 *
 * A durable write waits for its sync either way. Through the pool, the fdatasync costs a
 * thread hand-off each way: 203 µs per 128-byte append + fdatasync against 148 µs blocking,
 * measured on this project's 2-core VM. Held on the calling thread, it stops every other
 * callback for the sync's length. So syncs block only while the device has shown itself fast:
 * the last `FAST_STREAK` syncs each took under `blockingMaxMs`. The first syncs, and those
 * after a slow one, go to the pool; a device that turns slow costs one long blocking sync
 * before syncs leave the thread again.
 */
import { InvalidArgumentError } from '@kv/base';

/** Consecutive fast syncs before syncs may block. */
const FAST_STREAK = 8;

/** The default limit: a sync that holds the thread for about a millisecond at most. */
export const BLOCKING_SYNC_MAX_MS_DEFAULT = 1;

export class SyncLatencyGate {
  private readonly blockingMaxMs: number;
  private fastStreak = 0;

  /** `blockingMaxMs`: the slowest sync that still counts as fast; 0 never blocks. */
  constructor(blockingMaxMs: number = BLOCKING_SYNC_MAX_MS_DEFAULT) {
    if (!Number.isFinite(blockingMaxMs) || blockingMaxMs < 0) {
      throw new InvalidArgumentError('blockingSyncMaxMs', `${blockingMaxMs} is not a non-negative number`);
    }
    this.blockingMaxMs = blockingMaxMs;
  }

  /** Whether the next sync may hold the calling thread. */
  get blocking(): boolean {
    return this.fastStreak >= FAST_STREAK;
  }

  /** Records how long a sync took, however it ran. */
  record(durationMs: number): void {
    this.fastStreak = durationMs < this.blockingMaxMs ? this.fastStreak + 1 : 0;
  }
}
