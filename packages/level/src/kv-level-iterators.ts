/**
 * The iterators `db.iterator()`, `db.keys()` and `db.values()` return. Each reads one engine
 * iterator through an `EngineCursor`: `_next` is one synchronous engine step, `_nextv` and
 * `_all` are batched engine reads, and `_seek` repositions the engine iterator without a
 * new snapshot (a target outside the range ends the iteration, as abstract-level says). Key and value iterators open the engine iterator without the other side,
 * so it is never copied.
 */
import type { DbIterator, Entry, IteratorOptions } from '@kv/db';
import { AbstractIterator, AbstractKeyIterator, AbstractValueIterator } from 'abstract-level';
import { EngineCursor } from './engine-cursor.js';
import type { PrivateIteratorOptions } from './private-options.js';
import { toEngineRange } from './range-options.js';
import { decoderFor, isViewFormat } from './stored-format.js';
import type { StoredData } from './stored-format.js';

/** Opens the engine iterator for an engine range (on the database or the read's snapshot). */
export type EngineIteratorOpener = (options: IteratorOptions) => DbIterator;

type Item = [key: unknown, value: unknown];

export class KvLevelIterator extends AbstractIterator<object, unknown, unknown> {
  readonly #cursor: EngineCursor<Item>;

  constructor(db: object, options: PrivateIteratorOptions, open: EngineIteratorOpener) {
    super(db, options);
    const keys = options.keys !== false;
    const values = options.values !== false;
    this.#cursor = new EngineCursor({
      open: () => open(toEngineRange(options, { keys, values })),
      shape: entryShape(options, { keys, values }),
    });
  }

  async _next(): Promise<Item | undefined> {
    return this.#cursor.next();
  }

  async _nextv(size: number): Promise<Item[]> {
    return this.#cursor.read(size);
  }

  async _all(): Promise<Item[]> {
    return this.#cursor.readAll(this.limit - this.count);
  }

  _seek(target: StoredData): void {
    this.#cursor.seek(target);
  }

  async _close(): Promise<void> {
    this.#cursor.close();
  }
}

export class KvLevelKeyIterator extends AbstractKeyIterator<object, unknown> {
  readonly #cursor: EngineCursor<StoredData>;

  constructor(db: object, options: PrivateIteratorOptions, open: EngineIteratorOpener) {
    super(db, options);
    const decodeKey = decoderFor(options.keyEncoding);
    this.#cursor = new EngineCursor({
      open: () => open(toEngineRange(options, { keys: true, values: false })),
      shape: (entry) => decodeKey(entry[0]),
    });
  }

  async _next(): Promise<StoredData | undefined> {
    return this.#cursor.next();
  }

  async _nextv(size: number): Promise<StoredData[]> {
    return this.#cursor.read(size);
  }

  async _all(): Promise<StoredData[]> {
    return this.#cursor.readAll(this.limit - this.count);
  }

  _seek(target: StoredData): void {
    this.#cursor.seek(target);
  }

  async _close(): Promise<void> {
    this.#cursor.close();
  }
}

export class KvLevelValueIterator extends AbstractValueIterator<object, unknown, unknown> {
  readonly #cursor: EngineCursor<StoredData>;

  constructor(db: object, options: PrivateIteratorOptions, open: EngineIteratorOpener) {
    super(db, options);
    const decodeValue = decoderFor(options.valueEncoding);
    this.#cursor = new EngineCursor({
      open: () => open(toEngineRange(options, { keys: false, values: true })),
      shape: (entry) => decodeValue(entry[1]),
    });
  }

  async _next(): Promise<StoredData | undefined> {
    return this.#cursor.next();
  }

  async _nextv(size: number): Promise<StoredData[]> {
    return this.#cursor.read(size);
  }

  async _all(): Promise<StoredData[]> {
    return this.#cursor.readAll(this.limit - this.count);
  }

  _seek(target: StoredData): void {
    this.#cursor.seek(target);
  }

  async _close(): Promise<void> {
    this.#cursor.close();
  }
}

/**
 * How an engine entry becomes an entry of `db.iterator()`: the side left out is undefined
 * (abstract-level then skips decoding it), and binary entries with both sides are passed on
 * as they are.
 */
function entryShape(options: PrivateIteratorOptions, sides: { keys: boolean; values: boolean }): (entry: Entry) => Item {
  if (sides.keys && sides.values && isViewFormat(options.keyEncoding) && isViewFormat(options.valueEncoding)) return (entry) => entry;
  const decodeKey = decoderFor(options.keyEncoding);
  const decodeValue = decoderFor(options.valueEncoding);
  return (entry) => [sides.keys ? decodeKey(entry[0]) : undefined, sides.values ? decodeValue(entry[1]) : undefined];
}
