/**
 * The iterator `db.iterator()` returns. It reads one consistent snapshot (the sequence
 * number current when it was created) while writes go on. Every step is computed
 * synchronously from memory and the page cache (a page not cached is one synchronous read),
 * so the async `next()` costs one resolved promise, and `nextSync()` / `read(n)` cost none:
 * `read(n)` hands over up to n entries per call. Entries are fresh copies the caller owns.
 *
 * Resources: the iterator pins the memtables and page files it reads until it is closed. The
 * async protocol (`next()`, so `for await`) closes it when it reaches the end, and the loop
 * closes it when it exits early (`break`, `return`, an exception). `nextSync()` and `read()`
 * leave it open at the end, so `seek()` can still move it back: call `close()`. An iterator
 * dropped without closing is released when it is garbage-collected. When the database closes,
 * its page files are released at once; an iterator still open then throws NOT_OPEN at its
 * next call and lets go of its memtables there (or when closed or collected).
 */
import { NotOpenError } from '@kv/base';
import { pagesAwaitingRelease } from '@kv/sstable';
import { resultAllocator } from './byte-allocators.js';
import { toLookupKey } from './input-bytes.js';
import type { UserCursor, UserEntry } from './user-cursor.js';

export type Entry = [key: Uint8Array, value: Uint8Array];

/** What an iterator hands out: both sides (default), or only keys or only values. */
export interface EntryShape {
  keys: boolean;
  values: boolean;
}

const EMPTY = new Uint8Array(0);
/**
 * How often `read(n)` lets go of the pages it moved off: often enough that a page file's
 * iterator keeps few to track (it tracks up to 64, see TableIterator) even when entries are
 * larger than a quarter page, rarely enough to cost nothing per entry.
 */
const RELEASE_EVERY_ENTRIES = 16;

export class DbIterator implements AsyncIterableIterator<Entry> {
  /** Dropped at close, so a closed iterator the caller still holds keeps no memtable alive. */
  private cursor: UserCursor | undefined;
  private readonly isDbOpen: () => boolean;
  private readonly onClose: () => void;
  private readonly shape: EntryShape;
  private remaining: number;
  private closed = false;

  /** `onClose` releases what the iterator pins (page files); it runs once. */
  constructor(options: { cursor: UserCursor; limit: number; shape: EntryShape; isDbOpen: () => boolean; onClose: () => void }) {
    this.cursor = options.cursor;
    this.remaining = options.limit;
    this.shape = options.shape;
    this.isDbOpen = options.isDbOpen;
    this.onClose = options.onClose;
  }

  /** The next entry, or `{ done: true }`. Throws NOT_OPEN once the database is closed. */
  async next(): Promise<IteratorResult<Entry, undefined>> {
    const entry = this.nextSync();
    if (entry !== undefined) return { done: false, value: entry };
    this.close();
    return { done: true, value: undefined };
  }

  /** The next entry, or undefined at the end (the iterator stays open); never waits. */
  nextSync(): Entry | undefined {
    const entry = this.nextCopy();
    this.releaseMovedOffPages();
    return entry;
  }

  /** Up to `count` next entries (fewer only at the end; none once ended), without waiting. */
  read(count: number): Entry[] {
    const out: Entry[] = [];
    while (out.length < count) {
      const entry = this.nextCopy();
      if (entry === undefined) break;
      out.push(entry);
      if (out.length % RELEASE_EVERY_ENTRIES === 0) this.releaseMovedOffPages();
    }
    this.releaseMovedOffPages();
    return out;
  }

  /**
   * Every entry handed out so far is a copy, so the pages the cursor moved off are free for
   * reuse. Most steps moved off none (of any iterator): then there is no walk of the sources.
   */
  private releaseMovedOffPages(): void {
    if (pagesAwaitingRelease() > 0) this.cursor?.releaseViews();
  }

  /** `nextSync` without letting go of the pages moved off (the caller does, in batches). */
  private nextCopy(): Entry | undefined {
    if (!this.isDbOpen()) throw this.closedWithDatabase();
    if (this.closed || this.remaining <= 0) return undefined;
    const found = this.step();
    if (found === undefined) return undefined;
    this.remaining--;
    // A key the page reader assembled is already the caller's own; anything else is a view.
    const key = this.shape.keys ? (found.keyOwned ? found.key : resultAllocator.copy(found.key)) : EMPTY;
    return [key, this.shape.values ? resultAllocator.copy(found.value) : EMPTY];
  }

  /**
   * Repositions: forward, the next entry is the first key >= `target`; in reverse, the last
   * key <= `target`. A target outside the iterator's range ends it until the next seek. The
   * `limit` keeps counting.
   */
  seek(target: Uint8Array | string): void {
    if (!this.isDbOpen()) throw this.closedWithDatabase();
    const key = toLookupKey(target);
    this.cursor?.seek(key);
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
    // Every entry handed out is a copy, so the pages under the cursor may be reused.
    this.cursor?.release();
    this.cursor = undefined;
    this.onClose();
  }

  /** The database closed under this iterator: let go of what it holds, and say so. */
  private closedWithDatabase(): NotOpenError {
    this.close();
    return new NotOpenError('database');
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  private step(): UserEntry | undefined {
    const cursor = this.cursor;
    if (cursor === undefined) return undefined;
    try {
      return cursor.next();
    } catch (error) {
      // `for await` does not call return() after a throw: release the pinned files here.
      this.close();
      throw error;
    }
  }
}
