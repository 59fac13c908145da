/**
 * The "physical limit" column: the rate a workload could reach if only the machine's measured
 * limit stood in the way. They are ceilings for an engine that does no work of its own, not
 * promises; an mmap engine can beat the cached-read figure because it makes no system call.
 */
import type { MachineLimits } from '../machine-limits.js';
import type { BenchSettings } from '../settings.js';

export interface PhysicalLimit {
  opsPerSec: number;
  basis: string;
}

export function physicalLimit(workload: string, limits: MachineLimits, settings: BenchSettings): PhysicalLimit | undefined {
  const recordBytes = settings.keyBytes + settings.valueBytes;
  const writeRecords = (limits.sequentialWriteMBps * 1024 * 1024) / recordBytes;
  const copyRecords = (limits.memcpyGBps * 1e9) / recordBytes;
  const reads = limits.cachedRandomReadsPerSec;
  switch (workload) {
    case 'fillseq': case 'fillrandom': case 'fillrandom-lz4': case 'overwrite': case 'ltm-fill':
      return { opsPerSec: writeRecords, basis: 'sequential write bandwidth ÷ record size' };
    case 'fillsync':
      return { opsPerSec: limits.fdatasyncPerSec, basis: 'fdatasync rate after a 128-byte append' };
    case 'fillsync-concurrent':
      return { opsPerSec: writeRecords, basis: 'sequential write bandwidth ÷ record size (group commit)' };
    case 'readrandom': case 'readrandom-sync': case 'readmissing': case 'readwhilewriting': case 'ltm-readrandom':
    case 'ycsb-a': case 'ycsb-b': case 'ycsb-c': case 'ycsb-d': case 'ycsb-f': case 'deleterandom':
      return { opsPerSec: reads, basis: 'random 4 KiB reads from the page cache (one system call each)' };
    case 'seekrandom': case 'ycsb-e':
      return { opsPerSec: reads, basis: 'random 4 KiB reads from the page cache (one page per seek)' };
    case 'readseq': case 'readreverse':
      return { opsPerSec: copyRecords, basis: 'memcpy bandwidth ÷ record size' };
    default:
      return undefined;
  }
}
