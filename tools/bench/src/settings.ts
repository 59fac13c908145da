/**
 * The run's parameters, shared by the parent and every child so that all engines see the same
 * keys, values and limits. Everything here is a command-line flag (see `flags.ts`).
 */
export interface BenchSettings {
  /** Keys in the data set that the read workloads use (db_bench's `num`). */
  keyCount: number;
  keyBytes: number;
  valueBytes: number;
  /** Seed of every generator: the same seed gives byte-identical data in every child. */
  seed: number;
  /** Writes per batch in fillseq, fillrandom and the larger-than-memory fill. */
  batchSize: number;
  /** Operations of each non-fill phase (db_bench's `reads`); the time cap may stop it sooner. */
  opsPerPhase: number;
  /** Durable writes of the one-writer fillsync phase; the time cap may stop it sooner. */
  syncOps: number;
  /**
   * Durable writes of the many-writer fillsync phase (default: `CONCURRENT_SYNC_OPS_FACTOR` ×
   * `syncOps`); the time cap may stop it sooner.
   */
  concurrentSyncOps: number;
  /** Concurrent writers in the many-writer fillsync phase. */
  syncWriters: number;
  /** Time cap of each fill phase, in seconds. */
  fillSeconds: number;
  /** Time cap of every other phase, in seconds. */
  phaseSeconds: number;
  /** Memory budget of the larger-than-memory run, in bytes (engines with such a knob). */
  smallBudgetBytes: number;
  /** Zipfian constant of the YCSB key choice. */
  zipfTheta: number;
  /** Longest scan in YCSB-E. */
  scanLengthMax: number;
}

/**
 * The many-writer fillsync phase gets this many times the one writer's puts unless
 * `--concurrent-sync-ops` says otherwise. Group commit is expected to serve many writers at
 * about ten times one writer's rate, so ten times the puts keeps the two phases about equally
 * long. With the same count, an engine with group commit finished the phase in a quarter of a
 * second, about half of it the child process's warm-up (see tools/bench/README.md).
 */
export const CONCURRENT_SYNC_OPS_FACTOR = 10;

const SYNC_OPS_DEFAULT = 20_000;

export const DEFAULT_SETTINGS: BenchSettings = {
  keyCount: 1_000_000,
  keyBytes: 16,
  valueBytes: 100,
  seed: 301,
  batchSize: 1000,
  opsPerPhase: 1_000_000,
  syncOps: SYNC_OPS_DEFAULT,
  concurrentSyncOps: SYNC_OPS_DEFAULT * CONCURRENT_SYNC_OPS_FACTOR,
  syncWriters: 64,
  fillSeconds: 180,
  phaseSeconds: 20,
  smallBudgetBytes: 8 * 1024 * 1024,
  zipfTheta: 0.99,
  scanLengthMax: 100,
};

/** `--quick`: a short run for a first look or CI; any explicit flag still wins. */
export const QUICK_SETTINGS: Partial<BenchSettings> = {
  keyCount: 50_000,
  opsPerPhase: 20_000,
  syncOps: 1000,
  fillSeconds: 20,
  phaseSeconds: 2,
  smallBudgetBytes: 1024 * 1024,
};
