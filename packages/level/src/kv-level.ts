/**
 * KvLevel: an abstract-level 3 database backed by the kv engine (`@kv/db`), constructed like
 * classic-level: `new KvLevel(location, options)`.
 *
 * abstract-level does the public API (argument checks, encodings, deferred open, sublevels,
 * hooks, events, resource tracking); this class implements its private methods on the
 * engine. Every read takes its sequence number synchronously when it is called, so reads and
 * iterators see the state of that moment (implicit snapshots). Engine errors are rethrown
 * with abstract-level codes (`toLevelError`).
 */
import { DB } from '@kv/db';
import type { BatchOp, RepairReport, WriteOptions } from '@kv/db';
import { AbstractLevel } from 'abstract-level';
import type {
  AbstractBatchOperation,
  AbstractBatchOptions,
  AbstractChainedBatch,
  AbstractDelOptions,
  AbstractPutOptions,
  AbstractSnapshot,
} from 'abstract-level';
import { clearFromSnapshot } from './clear-from-snapshot.js';
import { readerFor } from './engine-reader.js';
import type { EngineReader } from './engine-reader.js';
import { KvLevelChainedBatch } from './kv-level-chained-batch.js';
import { KvLevelIterator, KvLevelKeyIterator, KvLevelValueIterator } from './kv-level-iterators.js';
import { toEngineOptions } from './kv-level-options.js';
import type { KvLevelOptions } from './kv-level-options.js';
import { KvLevelSnapshot } from './kv-level-snapshot.js';
import type { SnapshotOwnerOptions } from './kv-level-snapshot.js';
import { notOpenError, toLevelError } from './level-error.js';
import type {
  PrivateBatchOperation,
  PrivateClearOptions,
  PrivateHasOptions,
  PrivateIteratorOptions,
  PrivateOpenOptions,
  PrivateReadOptions,
  PrivateWriteOptions,
} from './private-options.js';
import { toEngineRangeWithLimit } from './range-options.js';
import { STORED_ENCODINGS, decoderFor, isViewFormat } from './stored-format.js';
import type { StoredData } from './stored-format.js';

type Manifest = ConstructorParameters<typeof AbstractLevel>[0];

/**
 * What KvLevel supports, as abstract-level and its test suite read it. `getSync` is an
 * abstract-level 3 feature that level-supports' type does not list yet.
 */
const MANIFEST: Manifest & { getSync: true } = {
  encodings: STORED_ENCODINGS,
  implicitSnapshots: true,
  explicitSnapshots: true,
  has: true,
  getSync: true,
  seek: true,
  permanence: true,
  createIfMissing: true,
  errorIfExists: true,
  additionalMethods: { compactRange: true },
};

/** Options of `compactRange`: the encoding of `start` and `end` (default: the database's). */
export interface CompactRangeOptions {
  keyEncoding?: string | undefined;
}

/** classic-level's write option, which KvLevel takes too: resolve only after fdatasync. */
export interface KvLevelWriteOptions {
  sync?: boolean | undefined;
}

/** abstract-level's write methods, typed to also take `sync` (their implementation is inherited). */
export interface KvLevel<KDefault, VDefault> {
  put(key: KDefault, value: VDefault): Promise<void>;
  put<K = KDefault, V = VDefault>(key: K, value: V, options: AbstractPutOptions<K, V> & KvLevelWriteOptions): Promise<void>;
  del(key: KDefault): Promise<void>;
  del<K = KDefault>(key: K, options: AbstractDelOptions<K> & KvLevelWriteOptions): Promise<void>;
  batch(operations: Array<AbstractBatchOperation<this, KDefault, VDefault>>): Promise<void>;
  batch<K = KDefault, V = VDefault>(
    operations: Array<AbstractBatchOperation<this, K, V>>,
    options: AbstractBatchOptions<K, V> & KvLevelWriteOptions,
  ): Promise<void>;
  batch(): AbstractChainedBatch<this, KDefault, VDefault>;
}

export class KvLevel<KDefault = string, VDefault = string> extends AbstractLevel<StoredData, KDefault, VDefault> {
  readonly #location: string;
  #engine: DB | undefined;

  constructor(location: string, options?: KvLevelOptions<KDefault, VDefault>) {
    if (typeof location !== 'string' || location === '') {
      throw new TypeError("The first argument 'location' must be a non-empty string");
    }
    super(MANIFEST, options);
    this.#location = location;
  }

  /** The database directory. */
  get location(): string {
    return this.#location;
  }

  async _open(options: PrivateOpenOptions): Promise<void> {
    try {
      this.#engine = await DB.open(this.#location, toEngineOptions(options));
    } catch (error) {
      throw toLevelError(error);
    }
  }

  async _close(): Promise<void> {
    try {
      await this.#engine?.close();
    } catch (error) {
      throw toLevelError(error);
    }
    this.#engine = undefined;
  }

  async _get(key: StoredData, options: PrivateReadOptions): Promise<StoredData | undefined> {
    let value: Uint8Array | undefined;
    try {
      value = await this.#reader(options.snapshot).get(key);
    } catch (error) {
      throw toLevelError(error);
    }
    return value === undefined ? undefined : decoderFor(options.valueEncoding)(value);
  }

  _getSync(key: StoredData, options: PrivateReadOptions): StoredData | undefined {
    let value: Uint8Array | undefined;
    try {
      value = this.#reader(options.snapshot).getSync(key);
    } catch (error) {
      throw toLevelError(error);
    }
    return value === undefined ? undefined : decoderFor(options.valueEncoding)(value);
  }

  async _getMany(keys: StoredData[], options: PrivateReadOptions): Promise<Array<StoredData | undefined>> {
    let values: Array<Uint8Array | undefined>;
    try {
      values = await this.#reader(options.snapshot).getMany(keys);
    } catch (error) {
      throw toLevelError(error);
    }
    if (isViewFormat(options.valueEncoding)) return values;
    const decode = decoderFor(options.valueEncoding);
    return values.map((value) => (value === undefined ? undefined : decode(value)));
  }

  async _has(key: StoredData, options: PrivateHasOptions): Promise<boolean> {
    try {
      return await this.#reader(options.snapshot).has(key);
    } catch (error) {
      throw toLevelError(error);
    }
  }

  async _hasMany(keys: StoredData[], options: PrivateHasOptions): Promise<boolean[]> {
    try {
      return await this.#reader(options.snapshot).hasMany(keys);
    } catch (error) {
      throw toLevelError(error);
    }
  }

  async _put(key: StoredData, value: StoredData, options: PrivateWriteOptions): Promise<void> {
    try {
      await this.#open().put(key, value, toEngineWriteOptions(options));
    } catch (error) {
      throw toLevelError(error);
    }
  }

  async _del(key: StoredData, options: PrivateWriteOptions): Promise<void> {
    try {
      await this.#open().delete(key, toEngineWriteOptions(options));
    } catch (error) {
      throw toLevelError(error);
    }
  }

  async _batch(operations: PrivateBatchOperation[], options: PrivateWriteOptions): Promise<void> {
    await this.#commit(operations.map(toEngineOperation), options);
  }

  _chainedBatch(): KvLevelChainedBatch {
    return new KvLevelChainedBatch(this, this.#commit);
  }

  async _clear(options: PrivateClearOptions): Promise<void> {
    try {
      const engine = this.#open();
      if (options.snapshot === undefined || options.snapshot === null) await engine.clear(toEngineRangeWithLimit(options));
      else await clearFromSnapshot(engine, this.#reader(options.snapshot), options);
    } catch (error) {
      throw toLevelError(error);
    }
  }

  _iterator(options: PrivateIteratorOptions): KvLevelIterator {
    const reader = this.#reader(options.snapshot);
    return new KvLevelIterator(this, options, (range) => reader.iterator(range));
  }

  _keys(options: PrivateIteratorOptions): KvLevelKeyIterator {
    const reader = this.#reader(options.snapshot);
    return new KvLevelKeyIterator(this, options, (range) => reader.iterator(range));
  }

  _values(options: PrivateIteratorOptions): KvLevelValueIterator {
    const reader = this.#reader(options.snapshot);
    return new KvLevelValueIterator(this, options, (range) => reader.iterator(range));
  }

  _snapshot(options: SnapshotOwnerOptions): KvLevelSnapshot {
    try {
      return new KvLevelSnapshot(this.#open(), options);
    } catch (error) {
      throw toLevelError(error);
    }
  }

  /**
   * Flushes the memtables and compacts the keys from `start` to `end` (inclusive, encoded
   * with `keyEncoding`) down to the bottom level, as classic-level's `compactRange`.
   */
  async compactRange<K = KDefault>(start: K, end: K, options?: CompactRangeOptions): Promise<void> {
    if (this.status === 'opening') return this.deferAsync(() => this.compactRange(start, end, options));
    const engine = this.#open();
    const encoding = this.#keyEncodingFor(options?.keyEncoding);
    try {
      await engine.compactRange(encoding.encode(start), encoding.encode(end));
    } catch (error) {
      throw toLevelError(error);
    }
  }

  /** Deletes the closed database in `location` (LEVEL_LOCKED while it is open). */
  static async destroy(location: string): Promise<void> {
    try {
      await DB.destroy(location);
    } catch (error) {
      throw toLevelError(error);
    }
  }

  /** Rebuilds the closed database in `location` from what verifies (see @kv/db's `DB.repair`). */
  static async repair(location: string): Promise<RepairReport> {
    try {
      return await DB.repair(location);
    } catch (error) {
      throw toLevelError(error);
    }
  }

  /** Commits engine operations atomically; `sync: true` resolves after fdatasync. */
  readonly #commit = async (ops: BatchOp[], options: PrivateWriteOptions): Promise<void> => {
    try {
      await this.#open().write(ops, toEngineWriteOptions(options));
    } catch (error) {
      throw toLevelError(error);
    }
  };

  /**
   * The key encoding named by an option (undefined: the database's). abstract-level's typed
   * overloads do not accept an optional name; its implementation does.
   */
  #keyEncodingFor(name: string | undefined): { encode(data: unknown): StoredData } {
    const lookup = this.keyEncoding as (encoding?: string) => { encode(data: unknown): StoredData };
    return lookup.call(this, name);
  }

  #reader(snapshot: AbstractSnapshot | null | undefined): EngineReader {
    return readerFor(this.#open(), snapshot);
  }

  #open(): DB {
    if (this.#engine === undefined) throw notOpenError();
    return this.#engine;
  }
}

/** The engine form of an operation, without the encoding fields abstract-level adds. */
function toEngineOperation(op: PrivateBatchOperation): BatchOp {
  return op.type === 'put' ? { type: 'put', key: op.key, value: op.value } : { type: 'del', key: op.key };
}

/** classic-level's `sync` write option, which the engine takes with the same meaning. */
function toEngineWriteOptions(options: PrivateWriteOptions): WriteOptions {
  return { sync: options.sync === true };
}
