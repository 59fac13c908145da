/**
 * Chooses which records a read or update workload touches. The data set holds the records
 * fillrandom wrote: all `keyCount` of them, or, when its time cap stopped it, the first
 * `loadedCount` of its shuffled order. Records inserted later (YCSB D and E) get indexes from
 * `keyCount` up, so they never collide with a present or a missing key.
 */
import { SeededRandom, shuffledIndexes } from './rng.js';
import type { BenchSettings } from './settings.js';
import { ZipfianChooser } from './zipfian.js';

export const FILL_ORDER_SEED_OFFSET = 17;

export class KeyPicker {
  readonly loadedCount: number;
  private readonly keyCount: number;
  private readonly order: Uint32Array | undefined;
  private readonly random: SeededRandom;
  private zipf: ZipfianChooser | undefined;
  private readonly theta: number;
  private readonly seed: number;
  private inserted = 0;

  constructor(settings: BenchSettings, loadedCount: number, streamSeed: number) {
    this.keyCount = settings.keyCount;
    this.loadedCount = Math.max(1, loadedCount);
    this.order = loadedCount < settings.keyCount ? shuffledIndexes(settings.keyCount, settings.seed + FILL_ORDER_SEED_OFFSET) : undefined;
    this.random = new SeededRandom(settings.seed * 31 + streamSeed);
    this.theta = settings.zipfTheta;
    this.seed = settings.seed + streamSeed;
  }

  /** A present record, uniformly. */
  uniform(): number {
    return this.present(this.random.nextBelow(this.loadedCount));
  }

  /** A present record, Zipf-distributed with popular records scattered over the key space. */
  zipfian(): number {
    this.zipf ??= new ZipfianChooser({ itemCount: this.loadedCount, theta: this.theta, seed: this.seed });
    return this.present(this.zipf.nextScrambled());
  }

  /** YCSB-D's "latest": a Zipf rank counted back from the most recent insert. */
  latest(): number {
    this.zipf ??= new ZipfianChooser({ itemCount: this.loadedCount, theta: this.theta, seed: this.seed });
    const rank = this.zipf.nextRank();
    if (rank < this.inserted) return this.keyCount + this.inserted - 1 - rank;
    return this.present(Math.max(0, this.loadedCount - 1 - (rank - this.inserted)));
  }

  /** The index of a new record and counts it as present. */
  insert(): number {
    return this.keyCount + this.inserted++;
  }

  /** A uniform integer in [min, max]. */
  between(min: number, max: number): number {
    return min + this.random.nextBelow(max - min + 1);
  }

  /** A uniform float in [0, 1), for choosing an operation by its share. */
  chance(): number {
    return this.random.nextFloat();
  }

  /** The record at `position` of fillrandom's order (the data set's records, in fill order). */
  present(position: number): number {
    return this.order === undefined ? position : (this.order[position] ?? 0);
  }
}
