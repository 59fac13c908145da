/**
 * YCSB's key choosers. `ZipfianChooser` is the generator of Gray et al. ("Quickly generating
 * billion-record synthetic databases", SIGMOD 1994) that YCSB uses, scrambled by a hash so
 * that the popular keys are spread over the key space instead of clustered at its start.
 */
import { SeededRandom } from './rng.js';

export class ZipfianChooser {
  private readonly itemCount: number;
  private readonly theta: number;
  private readonly alpha: number;
  private readonly zetaN: number;
  private readonly eta: number;
  private readonly random: SeededRandom;

  constructor(options: { itemCount: number; theta: number; seed: number }) {
    this.itemCount = options.itemCount;
    this.theta = options.theta;
    this.random = new SeededRandom(options.seed);
    this.zetaN = zeta(this.itemCount, this.theta);
    const zeta2 = zeta(2, this.theta);
    this.alpha = 1 / (1 - this.theta);
    this.eta = (1 - Math.pow(2 / this.itemCount, 1 - this.theta)) / (1 - zeta2 / this.zetaN);
  }

  /** A rank in [0, itemCount): rank 0 is the most popular. */
  nextRank(): number {
    const u = this.random.nextFloat();
    const uz = u * this.zetaN;
    if (uz < 1) return 0;
    if (uz < 1 + Math.pow(0.5, this.theta)) return Math.min(1, this.itemCount - 1);
    const rank = Math.floor(this.itemCount * Math.pow(this.eta * u - this.eta + 1, this.alpha));
    return Math.min(rank, this.itemCount - 1);
  }

  /** A record index in [0, itemCount), popular ones scattered by an FNV-1a hash. */
  nextScrambled(): number {
    return fnv1a32(this.nextRank()) % this.itemCount;
  }
}

function zeta(count: number, theta: number): number {
  let sum = 0;
  for (let i = 1; i <= count; i++) sum += 1 / Math.pow(i, theta);
  return sum;
}

function fnv1a32(value: number): number {
  let hash = 0x811c9dc5;
  let rest = value;
  for (let i = 0; i < 4; i++) {
    hash ^= rest & 0xff;
    hash = Math.imul(hash, 0x01000193) >>> 0;
    rest >>>= 8;
  }
  return hash >>> 0;
}
