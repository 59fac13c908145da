/**
 * lmdb (lmdb-js, LMDB). Defaults: asynchronous batched commits with `overlappingSync`, so a
 * put resolves once committed and `db.flushed` resolves once it is on disk. Reads are
 * synchronous by design, so the async row awaits the same `get` a Node user would call. LMDB is
 * a B+tree in a memory map with no compaction and no memory limit of its own.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { RootDatabase } from 'lmdb';
import type { EngineAdapter, EngineFactory, KeyValue, OpenOptions, ScanOptions, ScanVisitor } from './engine-adapter.js';

type Db = RootDatabase<Buffer, Buffer>;

class LmdbAdapter implements EngineAdapter {
  private readonly db: Db;

  constructor(db: Db) {
    this.db = db;
  }

  async putBatch(entries: readonly KeyValue[]): Promise<void> {
    await this.db.transaction(() => {
      for (const entry of entries) void this.db.put(entry.key, entry.value);
    });
  }

  async put(key: Buffer, value: Buffer): Promise<void> {
    await this.db.put(key, value);
  }

  async putDurable(key: Buffer, value: Buffer): Promise<void> {
    await this.db.put(key, value);
    await this.db.flushed;
  }

  async has(key: Buffer): Promise<boolean> {
    return this.db.get(key) !== undefined;
  }

  hasSync(key: Buffer): boolean {
    return this.db.get(key) !== undefined;
  }

  async read(key: Buffer): Promise<Uint8Array | undefined> {
    return this.db.get(key);
  }

  async delete(key: Buffer): Promise<void> {
    await this.db.remove(key);
  }

  async scan(options: ScanOptions, visit: ScanVisitor): Promise<number> {
    let visited = 0;
    // Plain literals rather than a spread: see `levelScanOptions`.
    const { gte, reverse, limit } = options;
    for (const entry of this.db.getRange(gte === undefined ? { reverse, limit } : { start: gte, reverse, limit })) {
      void entry;
      visited++;
      if (!visit()) break;
    }
    return visited;
  }

  async compact(): Promise<undefined> {
    return undefined;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export const lmdbEngine: EngineFactory = {
  name: 'lmdb',
  packageName: 'lmdb@3.5.6 (LMDB)',
  capabilities: { persistent: true, syncRead: true, memoryBudget: false, lz4: false, durableWrite: true },
  notes: 'defaults (overlappingSync, no compression, binary keys and values); transaction() for batches, put + await db.flushed for durable writes, synchronous get() in both read rows, getRange() for scans; no compaction, no memory limit (memory map)',
  async open(dir: string, options: OpenOptions): Promise<EngineAdapter> {
    void options;
    const { open } = await import('lmdb');
    // lmdb-js stores one file (plus a lock file) at `path`; keep both inside the job's directory.
    await mkdir(dir, { recursive: true });
    const db = open<Buffer, Buffer>({ path: join(dir, 'data.mdb'), keyEncoding: 'binary', encoding: 'binary' });
    return new LmdbAdapter(db);
  },
};
