/**
 * One adapter for engines with the abstract-level API (classic-level, memory-level): batch()
 * for fills, get/getSync for reads, an async iterator for scans. What differs between them
 * (a durable put, a full compaction) is passed in.
 */
import { asIs, levelScanOptions } from './engine-adapter.js';
import type { EngineAdapter, KeyValue, ScanOptions, ScanVisitor } from './engine-adapter.js';
import { putOps, visitEntries } from './visit-entries.js';

/** The part of an abstract-level database (Buffer keys and values) the benchmark uses. */
export interface LevelDatabase {
  batch(ops: { type: 'put'; key: Buffer; value: Buffer }[]): Promise<void>;
  put(key: Buffer, value: Buffer, options?: { sync?: boolean }): Promise<void>;
  get(key: Buffer): Promise<Buffer | undefined>;
  getSync(key: Buffer): Buffer | undefined;
  del(key: Buffer): Promise<void>;
  iterator(options: { gte?: Buffer; reverse: boolean; limit: number }): AsyncIterable<unknown>;
  close(): Promise<void>;
}

export interface LevelBehaviour {
  /** Whether `put(k, v, { sync: true })` is durable (memory-level has no durable write). */
  durablePuts: boolean;
  /** The full compaction; its name, or undefined when the engine has none. */
  compact(): Promise<string | undefined>;
}

export class AbstractLevelAdapter implements EngineAdapter {
  private readonly db: LevelDatabase;
  private readonly behaviour: LevelBehaviour;
  private readonly name: string;

  constructor(name: string, db: LevelDatabase, behaviour: LevelBehaviour) {
    this.name = name;
    this.db = db;
    this.behaviour = behaviour;
  }

  async putBatch(entries: readonly KeyValue[]): Promise<void> {
    await this.db.batch(putOps(entries));
  }

  async put(key: Buffer, value: Buffer): Promise<void> {
    await this.db.put(key, value);
  }

  async putDurable(key: Buffer, value: Buffer): Promise<void> {
    if (!this.behaviour.durablePuts) throw new Error(`${this.name} has no durable write`);
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
    return visitEntries(this.db.iterator(levelScanOptions(options, asIs)), visit);
  }

  compact(): Promise<string | undefined> {
    return this.behaviour.compact();
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
