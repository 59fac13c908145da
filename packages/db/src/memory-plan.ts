/**
 * How one memory budget is split between memtables and the block cache.
 *
 * The engine holds one active memtable plus at most `IMMUTABLE_MEMTABLES_MAX` frozen ones
 * waiting to be flushed. The active one is switched out at memtableSize; if that cannot
 * happen yet (flush behind, switch failing), writes go on until MEMTABLE_HARD_LIMIT_FACTOR ×
 * memtableSize and then wait. So memtables use at most
 * (MEMTABLE_HARD_LIMIT_FACTOR + IMMUTABLE_MEMTABLES_MAX) × memtableSize, plus the one batch
 * that crossed the line, and the block cache gets what is left of the budget.
 *
 * Memtable memory not in use is lent to the cache (unless `cacheSize` was given): the cache's
 * capacity follows `memoryBudget` minus the memtables' current bytes, never below the share
 * planned here, so an idle or read-mostly database caches up to its whole budget and the
 * cache gives the memory back (evicting) as memtables fill.
 */
import { InvalidArgumentError } from '@kv/base';
import { Memtable } from '@kv/memtable';

export const IMMUTABLE_MEMTABLES_MAX = 2;

/**
 * Memory per memtable entry beyond its key and value bytes, as the engine builds entries: its
 * seq, kind and references in the memtable's store (which doubles as it grows) and its id and
 * prefix in a leaf, measured by `scripts/measure-entry-overhead.mjs` (heap and array buffers
 * before and after N entries built the same way) at 55–91 bytes for 100,000–520,000 entries,
 * the most just after the store doubled; plus the batch framing around the key and value in
 * the payload they are views of (header, kind, lengths, alignment: up to about 20 bytes for a
 * single put, a few for an entry of a large batch). The table keeps no object per entry.
 * Counting the real cost lets a memtable of `memtableSize` hold what it can.
 */
export const ENGINE_ENTRY_OVERHEAD_BYTES = 112;

/**
 * A memtable for the write path: it references the keys and values where they lie in the
 * batch payloads (a few 64 KiB chunks), and its `memoryBytes` counts entries at that cost.
 */
export function newEngineMemtable(): Memtable {
  return new Memtable({ entryOverheadBytes: ENGINE_ENTRY_OVERHEAD_BYTES, referenceBytes: true });
}
export const MEMTABLE_HARD_LIMIT_FACTOR = 1.5;
export const MEMORY_BUDGET_DEFAULT_BYTES: number = 64 * 1024 * 1024;
const MEMTABLE_SHARE = 0.25;

export interface MemoryPlan {
  memoryBudgetBytes: number;
  memtableSizeBytes: number;
  cacheCapacityBytes: number;
  /** Whether the cache borrows memtable memory not in use (no explicit `cacheSize`). */
  cacheFollowsMemtables: boolean;
}

/** The cache capacity while memtables hold `memtableBytes` (see the header). */
export function cacheCapacityFor(plan: MemoryPlan, memtableBytes: number): number {
  if (!plan.cacheFollowsMemtables) return plan.cacheCapacityBytes;
  return Math.max(plan.cacheCapacityBytes, Math.floor(plan.memoryBudgetBytes - memtableBytes));
}

/** Derives the sizes not given from the budget; rejects explicit sizes that exceed it. */
export function planMemory(given: { memoryBudget: number | undefined; memtableSize: number | undefined; cacheSize: number | undefined }): MemoryPlan {
  const memoryBudgetBytes = given.memoryBudget ?? MEMORY_BUDGET_DEFAULT_BYTES;
  const memtableSizeBytes = given.memtableSize ?? Math.max(4096, Math.floor(memoryBudgetBytes * MEMTABLE_SHARE));
  const memtablesMaxBytes = Math.ceil(memtableSizeBytes * (MEMTABLE_HARD_LIMIT_FACTOR + IMMUTABLE_MEMTABLES_MAX));
  const cacheCapacityBytes = given.cacheSize ?? Math.max(0, memoryBudgetBytes - memtablesMaxBytes);
  if (given.memoryBudget !== undefined && memtablesMaxBytes + cacheCapacityBytes > memoryBudgetBytes) {
    throw new InvalidArgumentError(
      'option memoryBudget',
      `${memoryBudgetBytes} bytes cannot hold memtables of ${memtableSizeBytes} bytes (up to ${memtablesMaxBytes} in all) and a cache of ${cacheCapacityBytes} bytes`,
    );
  }
  return {
    memoryBudgetBytes: Math.max(memoryBudgetBytes, memtablesMaxBytes + cacheCapacityBytes),
    memtableSizeBytes,
    cacheCapacityBytes,
    cacheFollowsMemtables: given.cacheSize === undefined,
  };
}
