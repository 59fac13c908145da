/**
 * classic-level (LevelDB). Defaults, which include Snappy compression and an 8 MiB block
 * cache; with a memory budget, the block cache and write buffer split it. Full compaction is
 * LevelDB's compactRange over the whole key space.
 */
import { AbstractLevelAdapter } from './abstract-level-adapter.js';
import type { EngineAdapter, EngineFactory, OpenOptions } from './engine-adapter.js';

const KEY_LOWEST = Buffer.from([0]);
const KEY_HIGHEST = Buffer.alloc(64, 0xff);

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
    return new AbstractLevelAdapter('classic-level', db, {
      durablePuts: true,
      compact: async () => {
        await db.compactRange(KEY_LOWEST, KEY_HIGHEST);
        return 'compactRange';
      },
    });
  },
};
