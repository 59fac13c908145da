/** What `db.stats()` reports. All byte counts are bytes; times are milliseconds. */
export interface DbStats {
  /** Per level: number of page files and their total size. */
  levels: { level: number; files: number; bytes: number }[];
  cache: { hits: number; misses: number; evictions: number; usageBytes: number; capacityBytes: number };
  memtables: { activeBytes: number; immutableCount: number; immutableBytes: number; memtableSizeBytes: number };
  wal: { segment: number; groups: number; records: number; syncs: number };
  /** Bytes the engine wrote to disk: WAL records plus page files. */
  bytesWritten: number;
  flushes: { count: number; bytesWritten: number; totalMs: number; failures: number };
  /** Writers made to wait (count, total time) or slowed by 1 ms (slowdowns) because flushes fell behind. */
  stalls: { count: number; totalMs: number; slowdowns: number };
  /** The newest sequence number visible to reads. */
  sequence: number;
}
