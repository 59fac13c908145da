/**
 * A seeded pseudo-random generator (SplitMix32 state step, Mulberry32 output). Every child
 * builds its own from the run's seed, so each engine sees the same sequence of keys.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform 32-bit unsigned integer. */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A uniform float in [0, 1). */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A uniform integer in [0, bound). Requires: 0 < bound <= 2^32. */
  nextBelow(bound: number): number {
    return Math.floor(this.nextFloat() * bound);
  }
}

/** A Fisher-Yates permutation of 0..count-1, the order of fillrandom's writes. */
export function shuffledIndexes(count: number, seed: number): Uint32Array {
  const order = new Uint32Array(count);
  for (let i = 0; i < count; i++) order[i] = i;
  const random = new SeededRandom(seed);
  for (let i = count - 1; i > 0; i--) {
    const j = random.nextBelow(i + 1);
    const swap = order[i] ?? 0;
    order[i] = order[j] ?? 0;
    order[j] = swap;
  }
  return order;
}
