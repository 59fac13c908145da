/** What `db.stats()` reports. All byte counts are bytes; times are milliseconds. */
export interface DbStats {
  /** Per level: page files, their total size, bytes flushes and compactions wrote into the
   *  level, and those bytes over the bytes of user writes (the level's write amplification). */
  levels: { level: number; files: number; bytes: number; bytesWritten: number; writeAmplification: number }[];
  compactions: { count: number; bytesRead: number; bytesWritten: number; totalMs: number; failures: number };
  /** All bytes written to disk (WAL, flushes, compactions) over the bytes of user writes (WAL records). */
  writeAmplification: number;
  cache: { hits: number; misses: number; evictions: number; usageBytes: number; capacityBytes: number };
  memtables: { activeBytes: number; immutableCount: number; immutableBytes: number; memtableSizeBytes: number };
  wal: { segment: number; groups: number; records: number; syncs: number };
  /** Bytes the engine wrote to disk: WAL records plus page files from flushes and compactions. */
  bytesWritten: number;
  flushes: { count: number; bytesWritten: number; totalMs: number; failures: number };
  /** Writers made to wait (count, total time) or slowed by 1 ms (slowdowns) because flushes fell behind. */
  stalls: { count: number; totalMs: number; slowdowns: number };
  /** The newest sequence number visible to reads. */
  sequence: number;
}
