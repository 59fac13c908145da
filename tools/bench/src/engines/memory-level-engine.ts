/**
 * memory-level, the in-memory baseline: a red-black tree with the same abstract-level API as
 * classic-level. Nothing reaches the disk, so there is no durable write, no reopen and no
 * space figure; each child refills it before a read workload (untimed).
 */
import { AbstractLevelAdapter } from './abstract-level-adapter.js';
import type { EngineAdapter, EngineFactory, OpenOptions } from './engine-adapter.js';

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
    return new AbstractLevelAdapter('memory-level', db, { durablePuts: false, compact: async () => undefined });
  },
};
