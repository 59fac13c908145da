/**
 * snap-db, a pure-JS LSM store with string keys and values. `mainThread: true` is the mode its
 * README recommends for speed with small records. Every put outside a transaction fsyncs its
 * log, so its plain put is already durable; fills use `batch()` (one transaction, one fsync).
 * Keys and values are ASCII, so the latin1 strings it stores hold exactly the same bytes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SnapDB } from 'snap-db';
import { levelScanOptions } from './engine-adapter.js';
import type { EngineAdapter, EngineFactory, KeyValue, OpenOptions, ScanOptions, ScanVisitor } from './engine-adapter.js';
import { visitEntries } from './visit-entries.js';

type Db = SnapDB<string>;

const text = (bytes: Buffer): string => bytes.toString('latin1');

/** snap-db's flushLog throws from a callback when no level exists yet; its manifest tells. */
async function hasLevelFiles(dir: string): Promise<boolean> {
  try {
    const manifest: unknown = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    const levels = (manifest as { lvl?: unknown }).lvl;
    return Array.isArray(levels) && levels.length > 0;
  } catch {
    return false;
  }
}

class SnapDbAdapter implements EngineAdapter {
  private readonly db: Db;
  private readonly dir: string;

  constructor(db: Db, dir: string) {
    this.db = db;
    this.dir = dir;
  }

  async putBatch(entries: readonly KeyValue[]): Promise<void> {
    await this.db.batch(entries.map((entry) => ({ type: 'put' as const, key: text(entry.key), value: text(entry.value) })));
  }

  async put(key: Buffer, value: Buffer): Promise<void> {
    await this.db.put(text(key), text(value));
  }

  async putDurable(key: Buffer, value: Buffer): Promise<void> {
    await this.db.put(text(key), text(value));
  }

  async has(key: Buffer): Promise<boolean> {
    return (await this.db.get(text(key))) !== undefined;
  }

  hasSync(): boolean {
    throw new Error('snap-db has no synchronous get');
  }

  async read(key: Buffer): Promise<Uint8Array | undefined> {
    const value = await this.db.get(text(key));
    return value === undefined ? undefined : Buffer.from(value, 'latin1');
  }

  async delete(key: Buffer): Promise<void> {
    await this.db.delete(text(key));
  }

  async scan(options: ScanOptions, visit: ScanVisitor): Promise<number> {
    return visitEntries(await this.db.queryIt(levelScanOptions(options, text)), visit);
  }

  async compact(): Promise<string> {
    if (!(await hasLevelFiles(this.dir))) return 'none: flushLog skipped before the first table (it crashes snap-db 1.1.6 there)';
    await this.db.flushLog();
    return 'flushLog';
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}

export const snapDbEngine: EngineFactory = {
  name: 'snap-db',
  packageName: 'snap-db@1.1.6 (pure-JS LSM)',
  capabilities: { persistent: true, syncRead: false, memoryBudget: false, lz4: false, durableWrite: true },
  notes: "mainThread: true, string keys; batch() for fills; every plain put fsyncs (its only write mode); queryIt() for scans; full compaction = flushLog()",
  async open(dir: string, options: OpenOptions): Promise<EngineAdapter> {
    void options;
    const { SnapDB: Snap } = await import('snap-db');
    const db = new Snap<string>({ dir, key: 'string', mainThread: true });
    await db.ready();
    return new SnapDbAdapter(db, dir);
  },
};
