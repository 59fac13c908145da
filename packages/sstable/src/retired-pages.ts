/**
 * How many pages iterators have moved off and still keep pinned, waiting for their consumer's
 * `releaseViews`, across every iterator of this thread. A consumer that releases after each
 * entry checks it first (`pagesAwaitingRelease`), so the common step, which moved off no page,
 * does not walk its iterator tree for nothing. Iterators whose consumer never releases keep
 * the count above zero; that only turns the shortcut off.
 */
let awaiting = 0;

export function pagesAwaitingRelease(): number {
  return awaiting;
}

/** Counts pages retired (positive) or released (negative). */
export function countRetiredPages(delta: number): void {
  awaiting += delta;
}
