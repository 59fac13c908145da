/**
 * The chained batch `db.batch()` returns. abstract-level encodes each `put` and `del`; this
 * collects them as engine batch operations and commits them with one atomic engine write.
 */
import type { BatchOp } from '@kv/db';
import { AbstractChainedBatch } from 'abstract-level';
import type { PrivateWriteOptions } from './private-options.js';
import type { StoredData } from './stored-format.js';

/** Commits engine operations atomically with the batch's `write()` options. */
export type BatchCommitter = (ops: BatchOp[], options: PrivateWriteOptions) => Promise<void>;

export class KvLevelChainedBatch extends AbstractChainedBatch<object, unknown, unknown> {
  #ops: BatchOp[] = [];
  readonly #commit: BatchCommitter;

  constructor(db: object, commit: BatchCommitter) {
    super(db);
    this.#commit = commit;
  }

  _put(key: StoredData, value: StoredData): void {
    this.#ops.push({ type: 'put', key, value });
  }

  _del(key: StoredData): void {
    this.#ops.push({ type: 'del', key });
  }

  _clear(): void {
    this.#ops = [];
  }

  async _write(options: PrivateWriteOptions): Promise<void> {
    await this.#commit(this.#ops, options);
  }

  async _close(): Promise<void> {
    this.#ops = [];
  }
}
