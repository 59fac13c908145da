/**
 * Table builds (flushes) go ahead of compactions that share their thread.
 *
 * A flush turns a frozen memtable into a level-0 file, and until it is done the memtable's
 * memory stays taken and writers may be waiting for room; a compaction only reshapes files
 * that are already durable. So while a build runs in this thread, a running compaction pauses
 * at its next yield point and resumes once no build is running. Without this the two
 * alternate slices, and every flush that overlaps a compaction takes about twice as long,
 * which writers see as memtable stalls.
 *
 * Compaction cannot starve for long: writers stop once level 0 reaches its stop trigger, and
 * then no new memtable fills and no new build starts. A build never waits for a compaction, so
 * the pause cannot deadlock.
 *
 * The count is per thread (module state), which is what matters: jobs in one worker, or jobs
 * run inline on the main thread, compete for the same thread.
 */

let buildsRunning = 0;
let buildsDone: { promise: Promise<void>; resolve: () => void } | undefined;

/** Marks a table build as running in this thread; call the returned function once it ends. */
export function startTableBuild(): () => void {
  buildsRunning++;
  let ended = false;
  return () => {
    if (ended) return;
    ended = true;
    buildsRunning--;
    if (buildsRunning === 0 && buildsDone !== undefined) {
      const { resolve } = buildsDone;
      buildsDone = undefined;
      resolve();
    }
  };
}

/** Undefined when no table build runs in this thread; otherwise resolves once none does. */
export function tableBuildsFinished(): Promise<void> | undefined {
  if (buildsRunning === 0) return undefined;
  if (buildsDone === undefined) {
    let resolve!: () => void;
    const promise = new Promise<void>((settle) => {
      resolve = settle;
    });
    buildsDone = { promise, resolve };
  }
  return buildsDone.promise;
}
