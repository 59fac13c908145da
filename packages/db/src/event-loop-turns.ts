/**
 * Hands the event loop a turn from a loop of awaited writes.
 *
 * A write that needs no I/O to wait for (no fsync) settles in microtasks: its WAL record is
 * appended synchronously and its memtable insert is synchronous. An application that awaits
 * such writes back to back therefore never lets the event loop reach timers, I/O callbacks or
 * worker messages — including the engine's own: a flush waits for its worker and its file
 * writes, so it would only progress while the writer is stalled. `TurnKeeper` notices when the loop has not turned for a while, and the
 * write path then settles the write after one turn (`setImmediate`).
 *
 * Whether the loop turned is seen by a marker: an immediate scheduled by the first check after
 * a turn. While it is pending no turn has happened; the time since it was scheduled is how
 * long the loop has waited.
 */
// From node:timers, not the global: fake timers in an application's tests replace the global,
// and writes must not wait for a clock nobody advances.
import { setImmediate } from 'node:timers';

export class TurnKeeper {
  private readonly budgetMs: number;
  private markerPending = false;
  private waitingSince = 0;
  /** The turn writers wait for, once one is due: all of them resume together after it. */
  private turn: Promise<void> | undefined;
  private readonly mark = (): void => {
    this.markerPending = false;
  };

  /** `budgetMs`: how long writes may hold the event loop before one waits for a turn. */
  constructor(budgetMs: number) {
    this.budgetMs = budgetMs;
  }

  /**
   * A promise for the next turn when the loop has waited `budgetMs` or more, else undefined.
   * Every write that asks before that turn gets the same promise, so concurrent writers resume
   * in one batch of microtasks and still share WAL groups (and their syncs).
   */
  due(): Promise<void> | undefined {
    if (this.turn !== undefined) return this.turn;
    const now = performance.now();
    if (!this.markerPending) {
      this.markerPending = true;
      this.waitingSince = now;
      setImmediate(this.mark);
      return undefined;
    }
    if (now - this.waitingSince < this.budgetMs) return undefined;
    this.turn = new Promise((resolve) => {
      setImmediate(() => {
        this.turn = undefined;
        resolve();
      });
    });
    return this.turn;
  }
}
