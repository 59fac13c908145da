/**
 * The acknowledged history of a workload and the check a recovered database must pass.
 *
 * Writes are issued in sequence-number order. After a crash the database must equal the
 * model after some prefix of the issued writes (batches whole), and that prefix must cover
 * every write the crash model promises to keep: every acknowledged write after a process
 * kill; every write up to the last acknowledged `sync: true` write after a power loss.
 *
 * Optionally each write carries where it was issued and acknowledged on an operation clock
 * (the length of a vfs `OperationLog`), so a crash after any operation gets its window.
 */
import { expect } from 'vitest';
import type { DB } from '../../src/index.js';
import { SortedModel, collect, show } from './sorted-model.js';
import type { ModelOp } from './sorted-model.js';

export interface IssuedWrite {
  ops: ModelOp[];
  sync: boolean;
}

/** The writes a recovered state may reflect: a prefix of at least `mustKeep` and at most `issued`. */
export interface PrefixWindow {
  mustKeep: number;
  issued: number;
}

export class History {
  readonly issued: IssuedWrite[] = [];
  /** Count of writes, from the start, whose promises resolved (a prefix of `issued`). */
  acknowledged = 0;
  /** Index + 1 of the last acknowledged sync write (0 when none). */
  syncedPrefix = 0;
  private readonly done = new Set<number>();
  private readonly issuedAt: number[] = [];
  /** Operation-clock reading at each acknowledged sync write, with the prefix it makes durable. */
  private readonly syncedAt: { at: number; prefix: number }[] = [];
  private readonly stateKeys: string[] = [];

  /** `at`: the operation clock when the write was issued (before any of its I/O). */
  issue(write: IssuedWrite, at = 0): number {
    this.issued.push(write);
    this.issuedAt.push(at);
    return this.issued.length - 1;
  }

  /** `at`: the operation clock when the write's promise resolved. */
  acknowledge(index: number, at = 0): void {
    this.done.add(index);
    while (this.done.has(this.acknowledged)) this.acknowledged++;
    if (this.issued[index]?.sync === true) {
      this.syncedPrefix = Math.max(this.syncedPrefix, index + 1);
      this.syncedAt.push({ at, prefix: this.syncedPrefix });
    }
  }

  /**
   * What a power loss right after operation `operations` may leave: every write up to the last
   * sync write acknowledged by then, and no write issued after it (its I/O had not started).
   */
  windowAt(operations: number): PrefixWindow {
    let mustKeep = 0;
    for (const synced of this.syncedAt) if (synced.at <= operations) mustKeep = Math.max(mustKeep, synced.prefix);
    let issued = 0;
    while (issued < this.issuedAt.length && (this.issuedAt[issued] as number) < operations) issued++;
    return { mustKeep, issued };
  }

  /**
   * The n in the window for which the model after n writes shows `actual` (as `show` renders
   * a full scan), or undefined. States are rendered once per n and kept.
   */
  matchPrefix(actual: readonly string[], window: PrefixWindow): number | undefined {
    const key = JSON.stringify(actual);
    for (let n = window.issued; n >= window.mustKeep; n--) if (this.stateKey(n) === key) return n;
    return undefined;
  }

  private stateKey(prefix: number): string {
    while (this.stateKeys.length <= prefix) {
      this.stateKeys.push(JSON.stringify(show(this.modelAfter(this.stateKeys.length).scan())));
    }
    return this.stateKeys[prefix] as string;
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
export async function expectPrefixState(db: DB, history: History, window: PrefixWindow): Promise<number> {
  const actual = show(await collect(db.iterator()));
  const matched = history.matchPrefix(actual, window);
  if (matched !== undefined) return matched;
  expect.fail(`recovered state matches no prefix in [${window.mustKeep}, ${window.issued}] of the issued writes: ${actual.join(' ')}`);
}
