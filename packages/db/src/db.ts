/**
 * The kv engine. This version keeps the live data in one memtable backed by the WAL: every
 * write is sequenced, appended to the WAL (group-committed) and then applied to the memtable;
 * open replays the WAL. Page files, flushes and compaction arrive in later versions.
 */
import { EntryKind, NotOpenError, assert, toSeqNum } from '@kv/base';
import type { SeqNum } from '@kv/base';
import type { Memtable } from '@kv/memtable';
import type { VfsLock } from '@kv/vfs';
import { WalCommitQueue } from '@kv/wal';
import type { WalWriter } from '@kv/wal';
import { encodeBatch } from './batch-codec.js';
import { DbIterator } from './db-iterator.js';
import { toKey } from './input-bytes.js';
import { toKeyRange, toLimit } from './key-range.js';
import type { IteratorOptions } from './key-range.js';
import { openDatabase } from './open-database.js';
import { readSyncFlag, resolveOptions } from './options.js';
import type { DbOptions } from './options.js';
import { UserCursor } from './user-cursor.js';
import { deleteOp, putOp, toWriteOps } from './write-op.js';
import type { BatchOp, WriteOp } from './write-op.js';

export interface WriteOptions {
  /** Resolve only after the write is on stable storage (fdatasync). Default false: resolve
   *  once the WAL record reached the operating system (survives a process kill). */
  sync?: boolean;
}

type State = 'open' | 'closing' | 'closed';

export class DB {
  readonly location: string;
  private readonly memtable: Memtable;
  private readonly wal: WalWriter;
  private readonly commitQueue: WalCommitQueue;
  private readonly lock: VfsLock;
  private state: State = 'open';
  private closing: Promise<void> | undefined;
  /** The next sequence number to hand out. */
  private nextSeq: SeqNum;
  /** Every write with a sequence number at or below this is applied and visible. */
  private visibleSeq: SeqNum;

  private constructor(location: string, opened: { memtable: Memtable; wal: WalWriter; lock: VfsLock; lastSeq: SeqNum }) {
    this.location = location;
    this.memtable = opened.memtable;
    this.wal = opened.wal;
    this.lock = opened.lock;
    this.commitQueue = new WalCommitQueue(opened.wal);
    this.visibleSeq = opened.lastSeq;
    this.nextSeq = toSeqNum(opened.lastSeq + 1);
  }

  /** Opens (by default creating) the database in `location`. */
  static async open(location: string, options?: DbOptions): Promise<DB> {
    const resolved = resolveOptions(options);
    const dir = location.length > 1 ? location.replace(/\/+$/, '') : location;
    const opened = await openDatabase(dir, resolved);
    return new DB(dir, opened);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /** Inserts or replaces `key`. */
  async put(key: Uint8Array | string, value: Uint8Array | string, options?: WriteOptions): Promise<void> {
    this.ensureOpen();
    return this.commit([putOp(key, value)], readSyncFlag(options));
  }

  /** Removes `key`; removing a missing key is a no-op. */
  async delete(key: Uint8Array | string, options?: WriteOptions): Promise<void> {
    this.ensureOpen();
    return this.commit([deleteOp(key)], readSyncFlag(options));
  }

  /** Applies every operation or none. A later operation on the same key wins. */
  async write(ops: readonly BatchOp[], options?: WriteOptions): Promise<void> {
    this.ensureOpen();
    return this.commit(toWriteOps(ops), readSyncFlag(options));
  }

  /** The value of `key`, as a copy the caller owns, or undefined. */
  async get(key: Uint8Array | string): Promise<Uint8Array | undefined> {
    this.ensureOpen();
    const found = this.memtable.get(toKey(key), this.visibleSeq);
    return found === undefined || found.kind !== EntryKind.Put ? undefined : new Uint8Array(found.value);
  }

  /** Entries in key order (or reverse) within the bounds, read from the state at this call. */
  iterator(options: IteratorOptions = {}): DbIterator {
    this.ensureOpen();
    const cursor = new UserCursor({
      source: this.memtable.iterator(),
      snapshotSeq: this.visibleSeq,
      range: toKeyRange(options),
      reverse: options.reverse === true,
    });
    return new DbIterator({ cursor, limit: toLimit(options.limit), isDbOpen: () => this.state !== 'closed' });
  }

  /** Entries with start <= key <= end, in key order. */
  range(start: Uint8Array | string, end: Uint8Array | string): DbIterator {
    return this.iterator({ gte: start, lte: end });
  }

  /**
   * Waits for writes in flight, makes the WAL durable and releases the directory. Calls made
   * after `close()` began get NOT_OPEN; closing again returns the same promise.
   */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.state = 'closing';
      this.closing = this.shutDown();
    }
    return this.closing;
  }

  private async shutDown(): Promise<void> {
    try {
      await this.commitQueue.drain();
      await this.wal.sync();
    } finally {
      await this.wal.close();
      await this.lock.release();
      this.state = 'closed';
    }
  }

  private ensureOpen(): void {
    if (this.state !== 'open') throw new NotOpenError('database');
  }

  private async commit(ops: WriteOp[], sync: boolean): Promise<void> {
    if (ops.length === 0) return;
    const firstSeq = this.nextSeq;
    const payload = encodeBatch(firstSeq, ops);
    this.nextSeq = toSeqNum(firstSeq + ops.length);
    await this.commitQueue.submit(payload, { sync });
    this.apply(firstSeq, ops);
  }

  /** Runs in sequence order: the commit queue resolves submissions first-in, first-out. */
  private apply(firstSeq: SeqNum, ops: readonly WriteOp[]): void {
    assert(firstSeq > this.visibleSeq, 'batches apply in sequence order');
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i] as WriteOp;
      this.memtable.add(op.key, toSeqNum(firstSeq + i), op.kind, op.value);
    }
    this.visibleSeq = toSeqNum(firstSeq + ops.length - 1);
  }
}
