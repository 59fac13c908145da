/**
 * @nxtedition/rocksdb (RocksDB 9.7). Defaults, which include ZSTD compression and a 256 MiB
 * memtable budget; with a memory budget, the block cache and memtable budget split it. Its
 * promise `get` rejects a missing key with an error, so reads go through `getMany`, which
 * does not; the synchronous row uses `_getManySync`, the binding's synchronous read. The
 * binding exposes no compactRange. It ships no type declarations, so its surface is typed here.
 */
import { asIs, levelScanOptions } from './engine-adapter.js';
import type { EngineAdapter, EngineFactory, KeyValue, OpenOptions, ScanOptions, ScanVisitor } from './engine-adapter.js';
import { putOps, visitEntries } from './visit-entries.js';

const PACKAGE = '@nxtedition/rocksdb';

interface BatchOp {
  type: 'put' | 'del';
  key: Buffer;
  value?: Buffer;
}

interface RocksLevel {
  open(options?: Record<string, unknown>): Promise<void>;
  batch(ops: BatchOp[], options?: { sync?: boolean }): Promise<void>;
  put(key: Buffer, value: Buffer): Promise<void>;
  del(key: Buffer): Promise<void>;
  getMany(keys: Buffer[]): Promise<(Buffer | undefined)[]>;
  _getManySync(keys: Buffer[]): (Buffer | undefined)[];
  iterator(options: Record<string, unknown>): AsyncIterable<[Buffer, Buffer]>;
  close(): Promise<void>;
}

type RocksLevelConstructor = new (location: string, options: Record<string, unknown>) => RocksLevel;

class RocksDbAdapter implements EngineAdapter {
  private readonly db: RocksLevel;

  constructor(db: RocksLevel) {
    this.db = db;
  }

  async putBatch(entries: readonly KeyValue[]): Promise<void> {
    await this.db.batch(putOps(entries));
  }

  async put(key: Buffer, value: Buffer): Promise<void> {
    await this.db.put(key, value);
  }

  /** Through `batch`: the binding's `put` drops its options on the way to the native write,
   *  so `put(k, v, { sync: true })` would not sync (its /proc/self/io counts show it). */
  async putDurable(key: Buffer, value: Buffer): Promise<void> {
    await this.db.batch([{ type: 'put', key, value }], { sync: true });
  }

  async has(key: Buffer): Promise<boolean> {
    const [value] = await this.db.getMany([key]);
    return value !== undefined;
  }

  hasSync(key: Buffer): boolean {
    return this.db._getManySync([key])[0] !== undefined;
  }

  async read(key: Buffer): Promise<Uint8Array | undefined> {
    const [value] = await this.db.getMany([key]);
    return value;
  }

  async delete(key: Buffer): Promise<void> {
    await this.db.del(key);
  }

  async scan(options: ScanOptions, visit: ScanVisitor): Promise<number> {
    return visitEntries(this.db.iterator(levelScanOptions(options, asIs)), visit);
  }

  async compact(): Promise<undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

function isRocksLevelModule(value: unknown): value is { RocksLevel: RocksLevelConstructor } {
  return typeof value === 'object' && value !== null && typeof (value as { RocksLevel?: unknown }).RocksLevel === 'function';
}

export const rocksDbEngine: EngineFactory = {
  name: 'rocksdb',
  packageName: '@nxtedition/rocksdb@12.2.12 (RocksDB 9.7)',
  capabilities: { persistent: true, syncRead: true, memoryBudget: true, lz4: false, durableWrite: true },
  notes: 'defaults (ZSTD on, 8 MiB block cache, 256 MiB memtable budget); batch() for fills, batch([put], { sync: true }) for durable writes (its put() ignores sync), getMany() for async reads, _getManySync() for the sync row; the binding has no compactRange',
  async open(dir: string, options: OpenOptions): Promise<EngineAdapter> {
    const loaded: unknown = await import(PACKAGE);
    if (!isRocksLevelModule(loaded)) throw new Error(`${PACKAGE} does not export RocksLevel`);
    const budget = options.memoryBudgetBytes;
    const sizes = budget === undefined ? {} : { cacheSize: Math.floor(budget / 2), memtableMemoryBudget: Math.floor(budget / 2) };
    const settings = { keyEncoding: 'buffer', valueEncoding: 'buffer', ...sizes };
    const db = new loaded.RocksLevel(dir, settings);
    await db.open(settings);
    return new RocksDbAdapter(db);
  },
};
