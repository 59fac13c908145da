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
  /** Durable writes of the fillsync phases; the time cap may stop them sooner. */
  syncOps: number;
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

export const DEFAULT_SETTINGS: BenchSettings = {
  keyCount: 1_000_000,
  keyBytes: 16,
  valueBytes: 100,
  seed: 301,
  batchSize: 1000,
  opsPerPhase: 1_000_000,
  syncOps: 20_000,
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
