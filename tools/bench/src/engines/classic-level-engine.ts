/**
 * classic-level (LevelDB). Defaults, which include Snappy compression and an 8 MiB block
 * cache; with a memory budget, the block cache and write buffer split it. Full compaction is
 * LevelDB's compactRange over the whole key space.
 */
import type { ClassicLevel } from 'classic-level';
import type { EngineAdapter, EngineFactory, KeyValue, OpenOptions, ScanOptions, ScanVisitor } from './engine-adapter.js';
import { putOps, visitEntries } from './visit-entries.js';

type Db = ClassicLevel<Buffer, Buffer>;

const KEY_LOWEST = Buffer.from([0]);
const KEY_HIGHEST = Buffer.alloc(64, 0xff);

class ClassicLevelAdapter implements EngineAdapter {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async putBatch(entries: readonly KeyValue[]): Promise<void> {
    await this.db.batch(putOps(entries));
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
    await this.db.del(key);
  }

  async scan(options: ScanOptions, visit: ScanVisitor): Promise<number> {
    const range = options.gte === undefined ? {} : { gte: options.gte };
    return visitEntries(this.db.iterator({ ...range, reverse: options.reverse, limit: options.limit }), visit);
  }

  async compact(): Promise<string> {
    await this.db.compactRange(KEY_LOWEST, KEY_HIGHEST);
    return 'compactRange';
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export const classicLevelEngine: EngineFactory = {
  name: 'classic-level',
  packageName: 'classic-level@3.0.0 (LevelDB)',
  capabilities: { persistent: true, syncRead: true, memoryBudget: true, lz4: false, durableWrite: true },
  notes: 'defaults (Snappy on, 8 MiB cache, 4 MiB write buffer); batch() for fills, put(k, v, { sync: true }) for durable writes, getSync() for the sync row; full compaction = compactRange()',
  async open(dir: string, options: OpenOptions): Promise<EngineAdapter> {
    const { ClassicLevel: Level } = await import('classic-level');
    const budget = options.memoryBudgetBytes;
    const sizes = budget === undefined ? {} : { cacheSize: Math.floor(budget / 2), writeBufferSize: Math.floor(budget / 4) };
    const db = new Level<Buffer, Buffer>(dir, { keyEncoding: 'buffer', valueEncoding: 'buffer', ...sizes });
    await db.open();
    return new ClassicLevelAdapter(db);
  },
};
