/**
 * Table builds (flushes) go ahead of compactions that share their thread.
 *
 * A flush turns a frozen memtable into a level-0 file, and until it is done the memtable's
 * memory stays taken and writers may be waiting for room; a compaction only reshapes files
 * that are already durable. So while a build counted here runs, a compaction given the same
 * `BuildPriority` pauses at its next yield point (every 4,096 entries) and resumes once no
 * build runs. Without this the two alternate slices, and every flush that overlaps a
 * compaction takes about twice as long, which writers see as memtable stalls. A build still
 * waits for the compaction's current stretch of entries (and an output write in progress).
 *
 * One instance serves one database's jobs on one thread: the background worker keeps one
 * (it runs one database's jobs), and a database whose jobs run inline keeps its own, so one
 * database's flushes never hold back another's compactions.
 *
 * Compaction cannot starve for long: at level 0's stop trigger writers stop and no memtable is
 * switched out, so once the frozen memtables already queued are flushed no build starts. A
 * build never waits for a compaction, so the pause cannot deadlock.
 */
export class BuildPriority {
  private running = 0;
  private finished: { promise: Promise<void>; resolve: () => void } | undefined;

  /** Counts a table build as running; call the returned function once it ends (again is a no-op). */
  startBuild(): () => void {
    this.running++;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.running--;
      if (this.running === 0 && this.finished !== undefined) {
        const { resolve } = this.finished;
        this.finished = undefined;
        resolve();
      }
    };
  }

  /** Undefined when no build runs; otherwise a promise that resolves once none does. */
  buildsFinished(): Promise<void> | undefined {
    if (this.running === 0) return undefined;
    if (this.finished === undefined) {
      let resolve!: () => void;
      const promise = new Promise<void>((settle) => {
        resolve = settle;
      });
      this.finished = { promise, resolve };
    }
    return this.finished.promise;
  }
}
