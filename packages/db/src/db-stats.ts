/**
 * `db.stats()`: counters and sizes gathered from the engine's parts, cheap to call.
 */
import type { BlockCache } from '@kv/sstable';
import type { Compactor } from './compactor.js';
import type { Flusher } from './flusher.js';
import type { TableSet } from './table-set.js';
import type { WritePipeline } from './write-pipeline.js';

/** What `db.stats()` reports. All byte counts are bytes; times are milliseconds. */
export interface DbStats {
  /** Per level: page files, their total size, bytes flushes and compactions wrote into the
   *  level, and those bytes over the bytes of user writes (the level's write amplification). */
  levels: { level: number; files: number; bytes: number; bytesWritten: number; writeAmplification: number }[];
  compactions: { count: number; bytesRead: number; bytesWritten: number; totalMs: number; failures: number };
  /** All bytes written to disk (WAL, flushes, compactions) over the bytes of user writes (WAL records). */
  writeAmplification: number;
  /** `spareBytes`: buffers of evicted pages kept for the next reads, within the capacity with `usageBytes`. */
  cache: { hits: number; misses: number; evictions: number; usageBytes: number; capacityBytes: number; spareBytes: number };
  memtables: { activeBytes: number; immutableCount: number; immutableBytes: number; memtableSizeBytes: number };
  wal: { segment: number; groups: number; records: number; syncs: number };
  /** Bytes the engine wrote to disk: WAL records plus page files from flushes and compactions. */
  bytesWritten: number;
  flushes: { count: number; bytesWritten: number; totalMs: number; failures: number };
  /** Writers made to wait (count, total time) or slowed by 1 ms (slowdowns) because flushes fell behind (or a pair is being written). */
  stalls: { count: number; totalMs: number; slowdowns: number };
  /** The newest sequence number visible to reads. */
  sequence: number;
  /** Background worker threads running now: 0 or 1 (always 0 on a vfs other than the real file system, where jobs run inline). */
  backgroundWorkers: number;
}

export function collectStats(parts: { tables: TableSet; cache: BlockCache; flusher: Flusher; compactor: Compactor; pipeline: WritePipeline; walBytes: number; memtableSizeBytes: number; backgroundWorkers: number }): DbStats {
  const { tables, flusher, pipeline, walBytes } = parts;
  const cache = parts.cache.stats;
  const flushes = flusher.stats;
  const wal = pipeline.wal.queue.stats;
  const compactions = parts.compactor.stats;
  const written = compactions.bytesWrittenByLevel.map((bytes, level) => bytes + (level === 0 ? flushes.bytesWritten : 0));
  const amplification = (bytes: number): number => (walBytes === 0 ? 0 : bytes / walBytes);
  return {
    levels: tables.levelStats().map((level) => ({ ...level, bytesWritten: written[level.level] ?? 0, writeAmplification: amplification(written[level.level] ?? 0) })),
    compactions: { count: compactions.count, bytesRead: compactions.bytesRead, bytesWritten: compactions.bytesWritten, totalMs: compactions.totalMs, failures: compactions.failures },
    writeAmplification: amplification(walBytes + flushes.bytesWritten + compactions.bytesWritten),
    cache: { hits: cache.hits, misses: cache.misses, evictions: cache.evictions, usageBytes: cache.usageBytes, capacityBytes: cache.capacityBytes, spareBytes: cache.spareBytes },
    memtables: {
      activeBytes: pipeline.active.memoryBytes,
      immutableCount: flusher.immutables.length,
      immutableBytes: flusher.immutables.reduce((sum, f) => sum + f.memtable.memoryBytes, 0),
      memtableSizeBytes: parts.memtableSizeBytes,
    },
    wal: { segment: pipeline.wal.number, groups: wal.groups, records: wal.records, syncs: wal.syncs },
    bytesWritten: walBytes + flushes.bytesWritten + compactions.bytesWritten,
    flushes: { count: flushes.count, bytesWritten: flushes.bytesWritten, totalMs: flushes.totalMs, failures: flushes.failures },
    stalls: { count: flushes.stallCount, totalMs: flushes.stallMs, slowdowns: flushes.slowdowns },
    sequence: pipeline.visibleSeq,
    backgroundWorkers: parts.backgroundWorkers,
  };
}
