/**
 * The shape of the in-process concurrency workloads: a tiny memtable and level-0 triggers, and
 * batches over a small key alphabet, so that writes collide and background work runs constantly.
 */
import fc from 'fast-check';
import type { BatchOp, DbOptions } from '../../src/index.js';

/** A 4 KiB memtable and tiny level-0 triggers: switches, flushes, compactions and stalls all the time. */
export const TINY: DbOptions = {
  memtableSize: 4096,
  compaction: { level0CompactionTrigger: 2, level0SlowdownTrigger: 3, level0StopTrigger: 5, baseLevelBytesMin: 16 * 1024, targetFileSizeBytes: 4096 },
};

const KEYS = Array.from({ length: 12 }, (_, i) => `k${String(i).padStart(2, '0')}`);
export const key: fc.Arbitrary<string> = fc.constantFrom(...KEYS);

export const batchOp: fc.Arbitrary<BatchOp> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ type: fc.constant('put' as const), key, value: fc.nat(300).map((n) => 'v'.repeat(n)) }) },
  { weight: 2, arbitrary: fc.record({ type: fc.constant('del' as const), key }) },
  { weight: 1, arbitrary: fc.record({ type: fc.constant('delRange' as const), start: key, end: key }) },
);
