/**
 * A small deterministic generator (mulberry32) so that a crash image is a pure function of the
 * state and the seed: a failing crash test replays exactly from its seed.
 */
export class SeededRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A uniform integer in [0, bound). Requires: `bound` is a positive integer. */
  below(bound: number): number {
    return Math.floor(this.next() * bound);
  }

  private next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
}
