/**
 * The sequence numbers of live snapshots. Flushes and compactions keep, for every key, the
 * newest version visible at each of these (plus the newest overall), so a snapshot reads the
 * same values however many flushes and compactions happen after it.
 */
export class SnapshotList {
  private readonly counts = new Map<number, number>();

  add(seq: number): void {
    this.counts.set(seq, (this.counts.get(seq) ?? 0) + 1);
  }

  remove(seq: number): void {
    const count = this.counts.get(seq) ?? 0;
    if (count <= 1) this.counts.delete(seq);
    else this.counts.set(seq, count - 1);
  }

  /** Live snapshot sequence numbers, ascending, without duplicates. */
  sequences(): number[] {
    return [...this.counts.keys()].sort((a, b) => a - b);
  }

  get size(): number {
    return this.counts.size;
  }
}
