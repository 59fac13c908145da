/**
 * Lets a worker thread drop the shared memory of a finished table build promptly.
 *
 * A flush sends the worker views of the memtable's batch payloads, which are
 * `SharedArrayBuffer` chunks the main thread allocated. The views outlive the job in the
 * worker's heap (a build takes long enough for them to be promoted to its old generation), and
 * a shared chunk is freed only once no thread refers to it, so every flushed memtable's
 * payloads stayed in memory until the worker's next full collection, which its small heap
 * rarely needs: measured, 17–26 MiB of peak RSS in a get+put loop on a 64 MiB budget.
 *
 * Node has no public way to ask for a collection without `--expose-gc`, but measuring memory
 * eagerly (`vm.measureMemory`, execution 'eager') runs one. It is an experimental API, which
 * warns once per thread: the warning is dropped in this thread only (every other warning
 * still shows), and where the API is missing nothing happens. The collection runs in the
 * worker, after the job's reply is sent, off the main thread.
 */
import vm from 'node:vm';

const MEASURE_MEMORY_WARNING = 'vm.measureMemory';
let warningFiltered = false;

/** Starts a full collection of this thread's heap, without waiting for it. */
export function releaseFinishedJobMemory(): void {
  const measure = (vm as { measureMemory?: typeof vm.measureMemory }).measureMemory;
  if (typeof measure !== 'function') return;
  filterMeasureMemoryWarning();
  try {
    measure({ mode: 'summary', execution: 'eager' }).catch(() => undefined);
  } catch {
    // Only a hint: a failure must not fail the jobs this worker runs.
  }
}

/** Whether `process.emitWarning(warning, ...rest)` is the experimental warning of `vm.measureMemory`. */
export function isMeasureMemoryWarning(warning: unknown, rest: readonly unknown[]): boolean {
  // Node takes the type from an Error's name, else from the second argument (a string or `{ type }`).
  const options = rest[0];
  const type = warning instanceof Error ? warning.name : typeof options === 'string' ? options : (options as { type?: unknown } | undefined)?.type;
  const message = warning instanceof Error ? warning.message : warning;
  return type === 'ExperimentalWarning' && typeof message === 'string' && message.includes(MEASURE_MEMORY_WARNING);
}

/** Drops the ExperimentalWarning of `vm.measureMemory` from this thread's warnings. */
function filterMeasureMemoryWarning(): void {
  if (warningFiltered) return;
  warningFiltered = true;
  const emitWarning = process.emitWarning.bind(process);
  process.emitWarning = ((warning: unknown, ...rest: unknown[]): void => {
    if (isMeasureMemoryWarning(warning, rest)) return;
    (emitWarning as (...args: unknown[]) => void)(warning, ...rest);
  }) as typeof process.emitWarning;
}
