/**
 * @kv/db, the engine under test. It has no synchronous get yet; the "full compaction" step is
 * `compactRange()` over every key.
 */
import { DB } from '@kv/db';
import type { DbOptions } from '@kv/db';
import type { EngineAdapter, EngineFactory, KeyValue, OpenOptions, ScanOptions, ScanVisitor } from './engine-adapter.js';
import { putOps, visitEntries } from './visit-entries.js';

class KvAdapter implements EngineAdapter {
  private readonly db: DB;

  constructor(db: DB) {
    this.db = db;
  }

  async putBatch(entries: readonly KeyValue[]): Promise<void> {
    await this.db.write(putOps(entries));
  }

  async put(key: Buffer, value: Buffer): Promise<void> {
    await this.db.put(key, value);
  }

  async putDurable(key: Buffer, value: Buffer): Promise<void> {
    await this.db.put(key, value, { sync: true });
  }

  async has(key: Buffer): Promise<boolean> {
    return (await this.db.get(key)) !== undefined;
  }

  hasSync(): boolean {
    throw new Error('@kv/db has no synchronous get');
  }

  async read(key: Buffer): Promise<Uint8Array | undefined> {
    return this.db.get(key);
  }

  async delete(key: Buffer): Promise<void> {
    await this.db.delete(key);
  }

  async scan(options: ScanOptions, visit: ScanVisitor): Promise<number> {
    const range = options.gte === undefined ? {} : { gte: options.gte };
    return visitEntries(this.db.iterator({ ...range, reverse: options.reverse, limit: options.limit }), visit);
  }

  async compact(): Promise<string> {
    await this.db.compactRange();
    return 'compactRange';
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export const kvEngine: EngineFactory = {
  name: 'kv',
  packageName: '@kv/db (workspace)',
  capabilities: { persistent: true, syncRead: false, memoryBudget: true, lz4: true, durableWrite: true },
  notes: 'defaults (memoryBudget 64 MiB, no compression); write() for batches, put(k, v, { sync: true }) for durable writes, `await get` (no sync get yet), for-await iterator; full compaction = compactRange()',
  async open(dir: string, options: OpenOptions): Promise<EngineAdapter> {
    const dbOptions: DbOptions = {};
    if (options.memoryBudgetBytes !== undefined) dbOptions.memoryBudget = options.memoryBudgetBytes;
    if (options.lz4 === true) dbOptions.compression = 'lz4';
    return new KvAdapter(await DB.open(dir, dbOptions));
  },
};
