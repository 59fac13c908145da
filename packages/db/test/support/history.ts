/**
 * The acknowledged history of a workload and the check a recovered database must pass.
 *
 * Writes are issued in sequence-number order. After a crash the database must equal the
 * model after some prefix of the issued writes (batches whole), and that prefix must cover
 * every write the crash model promises to keep: every acknowledged write after a process
 * kill; every write up to the last acknowledged `sync: true` write after a power loss.
 */
import { expect } from 'vitest';
import type { DB } from '../../src/index.js';
import { SortedModel, collect, show } from './sorted-model.js';
import type { ModelOp } from './sorted-model.js';

export interface IssuedWrite {
  ops: ModelOp[];
  sync: boolean;
}

export class History {
  readonly issued: IssuedWrite[] = [];
  /** Count of writes, from the start, whose promises resolved (a prefix of `issued`). */
  acknowledged = 0;
  /** Index + 1 of the last acknowledged sync write (0 when none). */
  syncedPrefix = 0;
  private readonly done = new Set<number>();

  issue(write: IssuedWrite): number {
    this.issued.push(write);
    return this.issued.length - 1;
  }

  acknowledge(index: number): void {
    this.done.add(index);
    while (this.done.has(this.acknowledged)) this.acknowledged++;
    if (this.issued[index]?.sync === true) this.syncedPrefix = Math.max(this.syncedPrefix, index + 1);
  }

  /** The prefix lengths a recovered state may correspond to, given what must be kept. */
  allowedPrefixes(mustKeep: number, issuedAtCrash: number): number[] {
    const out: number[] = [];
    for (let n = mustKeep; n <= issuedAtCrash; n++) out.push(n);
    return out;
  }

  modelAfter(prefix: number): SortedModel {
    const model = new SortedModel();
    for (const write of this.issued.slice(0, prefix)) model.apply(write.ops);
    return model;
  }
}

/** Checks that `db` holds the state after one of the allowed prefixes; returns which. */
export async function expectPrefixState(db: DB, history: History, window: { mustKeep: number; issued: number }): Promise<number> {
  const actual = show(await collect(db.iterator()));
  for (let n = window.issued; n >= window.mustKeep; n--) {
    if (JSON.stringify(show(history.modelAfter(n).scan())) === JSON.stringify(actual)) return n;
  }
  expect.fail(`recovered state matches no prefix in [${window.mustKeep}, ${window.issued}] of the issued writes: ${actual.join(' ')}`);
}
