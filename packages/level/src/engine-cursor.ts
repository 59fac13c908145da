/**
 * The engine iterator behind one abstract-level iterator, with each entry shaped into what
 * that iterator yields (an entry, a key or a value, in the requested formats).
 *
 * Every step is synchronous in the engine, so `next` costs no promise of its own and `read`
 * returns a whole batch from one call. abstract-level counts entries and enforces `limit`
 * itself (it also survives `seek`), so the engine iterator is opened with none (-1).
 */
import type { DbIterator, Entry } from '@kv/db';
import { toLevelError } from './level-error.js';
import type { StoredData } from './stored-format.js';

/** Entries per engine `read` when collecting everything (`all()`, `clear` on a snapshot). */
export const READ_CHUNK_ENTRIES = 1000;

export class EngineCursor<T> {
  readonly #iterator: DbIterator | undefined;
  readonly #openError: unknown;
  readonly #shape: (entry: Entry) => T;

  /**
   * Opens the engine iterator now, so it reads the state of this moment (abstract-level's
   * implicit snapshot). An error opening it (a released snapshot, say) is thrown by the first
   * read instead: abstract-level iterator constructors must not throw.
   */
  constructor(options: { open: () => DbIterator; shape: (entry: Entry) => T }) {
    const { open, shape } = options;
    this.#shape = shape;
    let iterator: DbIterator | undefined;
    try {
      iterator = open();
    } catch (error) {
      this.#openError = toLevelError(error);
    }
    this.#iterator = iterator;
  }

  /** The next item, or undefined at the end. */
  next(): T | undefined {
    const iterator = this.#engineIterator();
    try {
      const entry = iterator.nextSync();
      return entry === undefined ? undefined : this.#shape(entry);
    } catch (error) {
      throw toLevelError(error);
    }
  }

  /** Up to `size` items; an empty array at the end. */
  read(size: number): T[] {
    const iterator = this.#engineIterator();
    try {
      return iterator.read(size).map(this.#shape);
    } catch (error) {
      throw toLevelError(error);
    }
  }

  /** Every remaining item, at most `max` (Infinity for all). */
  readAll(max: number): T[] {
    const all: T[] = [];
    while (all.length < max) {
      const batch = this.read(Math.min(READ_CHUNK_ENTRIES, max - all.length));
      if (batch.length === 0) break;
      for (const item of batch) all.push(item);
    }
    return all;
  }

  /**
   * Repositions at the first key at or past `target` in the iteration order; a target
   * outside the range ends the iteration (abstract-level's rule, which the engine follows).
   */
  seek(target: StoredData): void {
    // An iterator that failed to open reports that on its next read.
    const iterator = this.#iterator;
    if (iterator === undefined) return;
    try {
      iterator.seek(target);
    } catch (error) {
      throw toLevelError(error);
    }
  }

  /** Releases the engine iterator. */
  close(): void {
    this.#iterator?.close();
  }

  #engineIterator(): DbIterator {
    if (this.#iterator === undefined) throw this.#openError;
    return this.#iterator;
  }
}
