/**
 * The async iterator `db.iterator()` returns. It reads one consistent snapshot (the sequence
 * number current when it was created) while writes go on. Every step is computed
 * synchronously from memory, so an iteration step costs one resolved promise, not a trip to
 * the thread pool. Entries are fresh copies the caller owns.
 */
import { NotOpenError } from '@kv/base';
import type { UserCursor, UserEntry } from './user-cursor.js';

export type Entry = [key: Uint8Array, value: Uint8Array];

export class DbIterator implements AsyncIterableIterator<Entry> {
  private readonly cursor: UserCursor;
  private readonly isDbOpen: () => boolean;
  private readonly onClose: () => void;
  private remaining: number;
  private closed = false;

  /** `onClose` releases what the iterator pins (page files); it runs once. */
  constructor(options: { cursor: UserCursor; limit: number; isDbOpen: () => boolean; onClose: () => void }) {
    this.cursor = options.cursor;
    this.remaining = options.limit;
    this.isDbOpen = options.isDbOpen;
    this.onClose = options.onClose;
  }

  /** The next entry, or `{ done: true }`. Throws NOT_OPEN once the database is closed. */
  async next(): Promise<IteratorResult<Entry, undefined>> {
    return this.nextSync();
  }

  /** Ends the iteration early (called by `break` in `for await`). */
  async return(): Promise<IteratorResult<Entry, undefined>> {
    this.close();
    return { done: true, value: undefined };
  }

  /** Releases the iterator and the page files it pins. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onClose();
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private nextSync(): IteratorResult<Entry, undefined> {
    if (!this.isDbOpen()) throw new NotOpenError('database');
    if (this.closed) return { done: true, value: undefined };
    if (this.remaining <= 0) {
      this.close();
      return { done: true, value: undefined };
    }
    let found: UserEntry | undefined;
    try {
      found = this.cursor.next();
    } catch (error) {
      // `for await` does not call return() after a throw: release the pinned files here.
      this.close();
      throw error;
    }
    if (found === undefined) {
      this.close();
      return { done: true, value: undefined };
    }
    this.remaining--;
    return { done: false, value: [new Uint8Array(found.key), new Uint8Array(found.value)] };
  }
}
