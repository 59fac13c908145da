/**
 * A history of concurrent writes and reads on one logical clock, and the check that every read
 * shows a state some prefix of the commit order produced.
 */
import { expect } from 'vitest';
import type { BatchOp } from '../../src/index.js';
import { toModelOp } from './batch-ops.js';
import type { ModelOp, SortedModel } from './sorted-model.js';

export interface WriteRecord {
  ops: ModelOp[];
  invokedAt: number;
  ackedAt: number | undefined;
}

export interface ReadRecord {
  what: string;
  invokedAt: number;
  returnedAt: number;
  /** Whether the state `model` gives exactly what this read returned. */
  matches: (model: SortedModel) => boolean;
}

/**
 * What the clients did, on one logical clock. Writes are recorded in call order, which is the
 * engine's commit order (see db-concurrency-write-order.test.ts). The clock reading of an
 * acknowledgement or a return is taken in a callback after the fact, so it is never earlier
 * than the real event: the windows below are, if anything, wider than the truth, never
 * narrower.
 */
export class Recorder {
  private clock = 0;
  readonly writes: WriteRecord[] = [];
  readonly reads: ReadRecord[] = [];
  operations = 0;

  /** Records the write and calls `call` at once (so the record order is the call order). */
  write(ops: BatchOp[], call: () => Promise<void>): Promise<void> {
    const record: WriteRecord = { ops: ops.map(toModelOp), invokedAt: this.clock++, ackedAt: undefined };
    this.writes.push(record);
    this.operations += ops.length;
    return call().then(() => {
      record.ackedAt = this.clock++;
    });
  }

  async read<T>(what: string, call: () => Promise<T> | T, matches: (result: T, model: SortedModel) => boolean): Promise<void> {
    const invokedAt = this.clock++;
    const result = await call();
    this.reads.push({ what, invokedAt, returnedAt: this.clock++, matches: (model) => matches(result, model) });
  }
}

/**
 * Checks every read against the prefixes of the commit order. A read may show the state after
 * p writes when p includes every write acknowledged before the read was invoked, excludes every
 * write invoked after it returned, and is at least the p of any read that returned before this
 * one was invoked (real-time order). Reads are taken in order of return and each gets the
 * smallest p that fits, which leaves the most room for the reads after it.
 */
export function checkReads(recorder: Recorder, models: readonly SortedModel[]): void {
  const assigned: { returnedAt: number; prefix: number }[] = [];
  for (const read of [...recorder.reads].sort((a, b) => a.returnedAt - b.returnedAt)) {
    let low = 0;
    recorder.writes.forEach((write, index) => {
      if (write.ackedAt !== undefined && write.ackedAt < read.invokedAt) low = Math.max(low, index + 1);
    });
    for (const earlier of assigned) if (earlier.returnedAt < read.invokedAt) low = Math.max(low, earlier.prefix);
    const high = recorder.writes.filter((write) => write.invokedAt < read.returnedAt).length;
    let prefix: number | undefined;
    for (let p = low; p <= high && prefix === undefined; p++) if (read.matches(models[p] as SortedModel)) prefix = p;
    if (prefix === undefined) {
      const anywhere = models.findIndex((model) => read.matches(model));
      expect.fail(`${read.what} (clock ${read.invokedAt}..${read.returnedAt}) matches no state after ${low}..${high} writes; it matches ${anywhere === -1 ? 'none' : `the state after ${anywhere}`}`);
    }
    assigned.push({ returnedAt: read.returnedAt, prefix });
  }
}
