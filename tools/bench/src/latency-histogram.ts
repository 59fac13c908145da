/**
 * An HDR-style latency histogram: log-linear buckets with 128 steps per power of two, so a
 * percentile is within 0.8% of the true value while memory stays a fixed 36 KiB whatever the
 * operation count (a per-op array would add to the peak RSS the benchmark attributes to the
 * engine). Values are nanoseconds.
 */
const SUB_BUCKET_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BUCKET_BITS;
const EXPONENT_MAX = 42;
const BUCKET_COUNT = SUB_BUCKETS + (EXPONENT_MAX - SUB_BUCKET_BITS + 1) * SUB_BUCKETS;

export interface LatencySummary {
  count: number;
  meanUs: number;
  p50Us: number;
  p99Us: number;
  p999Us: number;
  maxUs: number;
}

export class LatencyHistogram {
  private readonly counts = new Float64Array(BUCKET_COUNT);
  private total = 0;
  private sumNs = 0;
  private maxNs = 0;

  /** Adds one duration. Negative or non-finite durations are a bug in the caller. */
  record(durationNs: number): void {
    const value = durationNs < 0 ? 0 : Math.round(durationNs);
    const bucket = bucketOf(value);
    this.counts[bucket] = (this.counts[bucket] ?? 0) + 1;
    this.total++;
    this.sumNs += value;
    if (value > this.maxNs) this.maxNs = value;
  }

  /** Adds the time since `startNs` (a `process.hrtime.bigint()` reading) and returns now. */
  recordSince(startNs: bigint): bigint {
    const now = process.hrtime.bigint();
    this.record(Number(now - startNs));
    return now;
  }

  get count(): number {
    return this.total;
  }

  /** The value at quantile `q` (0..1), in nanoseconds: the midpoint of its bucket. */
  quantileNs(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let index = 0; index < BUCKET_COUNT; index++) {
      seen += this.counts[index] ?? 0;
      if (seen >= rank) return Math.min(bucketMidpoint(index), this.maxNs);
    }
    return this.maxNs;
  }

  summary(): LatencySummary {
    const us = (ns: number): number => Math.round(ns / 10) / 100;
    return {
      count: this.total,
      meanUs: us(this.total === 0 ? 0 : this.sumNs / this.total),
      p50Us: us(this.quantileNs(0.5)),
      p99Us: us(this.quantileNs(0.99)),
      p999Us: us(this.quantileNs(0.999)),
      maxUs: us(this.maxNs),
    };
  }
}

function bucketOf(value: number): number {
  if (value < SUB_BUCKETS) return value;
  let exponent = Math.min(EXPONENT_MAX, Math.floor(Math.log2(value)));
  // Math.log2 may round up just below a power of two; step back so the mantissa is >= 128.
  if (Math.floor(value / Math.pow(2, exponent - SUB_BUCKET_BITS)) < SUB_BUCKETS) exponent--;
  const step = Math.pow(2, exponent - SUB_BUCKET_BITS);
  const mantissa = Math.min(2 * SUB_BUCKETS - 1, Math.floor(value / step));
  return SUB_BUCKETS + (exponent - SUB_BUCKET_BITS) * SUB_BUCKETS + (mantissa - SUB_BUCKETS);
}

function bucketMidpoint(index: number): number {
  if (index < SUB_BUCKETS) return index;
  const exponent = SUB_BUCKET_BITS + Math.floor((index - SUB_BUCKETS) / SUB_BUCKETS);
  const mantissa = SUB_BUCKETS + ((index - SUB_BUCKETS) % SUB_BUCKETS);
  const step = Math.pow(2, exponent - SUB_BUCKET_BITS);
  return mantissa * step + step / 2;
}
