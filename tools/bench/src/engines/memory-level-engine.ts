/**
 * memory-level, the in-memory baseline: a red-black tree with the same abstract-level API as
 * classic-level. Nothing reaches the disk, so there is no durable write, no reopen and no
 * space figure; each child refills it before a read workload (untimed).
 */
import type { MemoryLevel } from 'memory-level';
import type { EngineAdapter, EngineFactory, KeyValue, OpenOptions, ScanOptions, ScanVisitor } from './engine-adapter.js';
import { putOps, visitEntries } from './visit-entries.js';

type Db = MemoryLevel<Buffer, Buffer>;

class MemoryLevelAdapter implements EngineAdapter {
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

  async putDurable(): Promise<void> {
    throw new Error('memory-level has no durable write');
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

  async compact(): Promise<undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export const memoryLevelEngine: EngineFactory = {
  name: 'memory-level',
  packageName: 'memory-level@3.1.0 (in-memory)',
  capabilities: { persistent: false, syncRead: true, memoryBudget: false, lz4: false, durableWrite: false },
  notes: 'in-memory baseline; batch() for fills, getSync() for the sync row; refilled (untimed) in every child that reads',
  async open(dir: string, options: OpenOptions): Promise<EngineAdapter> {
    void dir;
    void options;
    const { MemoryLevel: Level } = await import('memory-level');
    const db = new Level<Buffer, Buffer>({ keyEncoding: 'buffer', valueEncoding: 'buffer' });
    await db.open();
    return new MemoryLevelAdapter(db);
  },
};
