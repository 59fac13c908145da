/**
 * @kv/db, the engine under test. It has no synchronous get and no compaction yet, so the
 * "full compaction" step calls `compactRange()` if a later version has it and `flush()`
 * (memtables to level-0 page files) otherwise.
 */
import { DB } from '@kv/db';
import type { DbOptions } from '@kv/db';
import type { EngineAdapter, EngineFactory, KeyValue, OpenOptions, ScanOptions, ScanVisitor } from './engine-adapter.js';

interface MaybeCompacting {
  compactRange?: () => Promise<void>;
}

class KvAdapter implements EngineAdapter {
  private readonly db: DB;

  constructor(db: DB) {
    this.db = db;
  }

  async putBatch(entries: readonly KeyValue[]): Promise<void> {
    await this.db.write(entries.map((entry) => ({ type: 'put' as const, key: entry.key, value: entry.value })));
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
    let visited = 0;
    const range = options.gte === undefined ? {} : { gte: options.gte };
    for await (const entry of this.db.iterator({ ...range, reverse: options.reverse, limit: options.limit })) {
      void entry;
      visited++;
      if (!visit()) break;
    }
    return visited;
  }

  async compact(): Promise<string> {
    const maybe = this.db as unknown as MaybeCompacting;
    if (typeof maybe.compactRange === 'function') {
      await maybe.compactRange.call(this.db);
      return 'compactRange';
    }
    await this.db.flush();
    return 'flush (no compaction yet)';
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export const kvEngine: EngineFactory = {
  name: 'kv',
  packageName: '@kv/db (workspace)',
  capabilities: { persistent: true, syncRead: false, memoryBudget: true, lz4: true, durableWrite: true },
  notes: 'defaults (memoryBudget 64 MiB, no compression); write() for batches, put(k, v, { sync: true }) for durable writes, `await get` (no sync get yet), for-await iterator; full compaction = compactRange() where the build has it, else flush()',
  async open(dir: string, options: OpenOptions): Promise<EngineAdapter> {
    const dbOptions: DbOptions = {};
    if (options.memoryBudgetBytes !== undefined) dbOptions.memoryBudget = options.memoryBudgetBytes;
    if (options.lz4 === true) dbOptions.compression = 'lz4';
    return new KvAdapter(await DB.open(dir, dbOptions));
  },
};
