/**
 * @kv/db, the engine under test. Reads use `get` (async row) and `getSync` (sync row); scans
 * step the iterator synchronously with `read(n)`, as lmdb's `getRange` does; the "full
 * compaction" step is `compactRange()` over every key.
 */
import { DB } from '@kv/db';
import type { DbOptions } from '@kv/db';
import { asIs, levelScanOptions } from './engine-adapter.js';
import type { EngineAdapter, EngineFactory, KeyValue, OpenOptions, ScanOptions, ScanVisitor } from './engine-adapter.js';
import { putOps } from './visit-entries.js';

/** Entries per synchronous `read()` of a scan. */
const SCAN_BATCH = 64;

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

  hasSync(key: Buffer): boolean {
    return this.db.getSync(key) !== undefined;
  }

  async read(key: Buffer): Promise<Uint8Array | undefined> {
    return this.db.get(key);
  }

  async delete(key: Buffer): Promise<void> {
    await this.db.delete(key);
  }

  async scan(options: ScanOptions, visit: ScanVisitor): Promise<number> {
    const iterator = this.db.iterator(levelScanOptions(options, asIs));
    let visited = 0;
    try {
      for (let batch = iterator.read(SCAN_BATCH); batch.length > 0; batch = iterator.read(SCAN_BATCH)) {
        for (const entry of batch) {
          void entry;
          visited++;
          if (!visit()) return visited;
        }
      }
      return visited;
    } finally {
      iterator.close();
    }
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
  capabilities: { persistent: true, syncRead: true, memoryBudget: true, lz4: true, durableWrite: true },
  notes: 'defaults (memoryBudget 64 MiB, no compression); write() for batches, put(k, v, { sync: true }) for durable writes, `await get` (async row) and getSync() (sync row), iterator read(64) for scans; full compaction = compactRange()',
  async open(dir: string, options: OpenOptions): Promise<EngineAdapter> {
    const dbOptions: DbOptions = {};
    if (options.memoryBudgetBytes !== undefined) dbOptions.memoryBudget = options.memoryBudgetBytes;
    if (options.lz4 === true) dbOptions.compression = 'lz4';
    return new KvAdapter(await DB.open(dir, dbOptions));
  },
};
