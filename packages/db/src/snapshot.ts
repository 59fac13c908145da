/**
 * A consistent read-only view of the database at one sequence number. It sees exactly the
 * writes sequenced before it was taken, however many writes, flushes and compactions happen
 * after, until `release()` (or `await using`). An unreleased snapshot makes flushes and
 * compactions keep the versions it can see, so release snapshots you no longer need.
 */
import { NotOpenError } from '@kv/base';
import type { DbIterator } from './db-iterator.js';
import type { IteratorOptions } from './key-range.js';

/** What a snapshot needs from its database. */
export interface SnapshotSource {
  readAt(key: Uint8Array | string, seq: number): Uint8Array | undefined;
  readManyAt(keys: readonly (Uint8Array | string)[], seq: number): (Uint8Array | undefined)[];
  iteratorAt(options: IteratorOptions, seq: number): DbIterator;
  releaseSnapshot(seq: number): void;
}

export class Snapshot implements AsyncDisposable {
  /** The sequence number the snapshot reads at. */
  readonly sequence: number;
  private readonly source: SnapshotSource;
  private released = false;

  constructor(source: SnapshotSource, sequence: number) {
    this.source = source;
    this.sequence = sequence;
  }

  /** The value of `key` as of the snapshot, or undefined. */
  async get(key: Uint8Array | string): Promise<Uint8Array | undefined> {
    this.ensureLive();
    return this.source.readAt(key, this.sequence);
  }

  /** `get` without a promise (see `DB.getSync` for when it blocks). */
  getSync(key: Uint8Array | string): Uint8Array | undefined {
    this.ensureLive();
    return this.source.readAt(key, this.sequence);
  }

  /** The values of `keys` as of the snapshot (undefined where absent). */
  async getMany(keys: readonly (Uint8Array | string)[]): Promise<(Uint8Array | undefined)[]> {
    this.ensureLive();
    return this.source.readManyAt(keys, this.sequence);
  }

  /** Whether `key` is present as of the snapshot. */
  async has(key: Uint8Array | string): Promise<boolean> {
    this.ensureLive();
    return this.source.readAt(key, this.sequence) !== undefined;
  }

  /** Whether each of `keys` is present as of the snapshot. */
  async hasMany(keys: readonly (Uint8Array | string)[]): Promise<boolean[]> {
    this.ensureLive();
    return this.source.readManyAt(keys, this.sequence).map((value) => value !== undefined);
  }

  /** Entries as of the snapshot, in key order (or reverse) within the bounds. */
  iterator(options: IteratorOptions = {}): DbIterator {
    this.ensureLive();
    return this.source.iteratorAt(options, this.sequence);
  }

  /** Lets flushes and compactions drop what only this snapshot needed. Idempotent. */
  release(): void {
    if (this.released) return;
    this.released = true;
    this.source.releaseSnapshot(this.sequence);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.release();
  }

  private ensureLive(): void {
    if (this.released) throw new NotOpenError('snapshot');
  }
}
