import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { AbandonedIterators } from '../src/abandoned-iterators.js';

describe('AbandonedIterators', () => {
  it('registers an iterator for finalization only if it is still open when the event loop turns', async () => {
    const watcher = new AbandonedIterators();
    const closedSoon = watcher.watch({}, () => undefined);
    const leftOpen = watcher.watch({}, () => undefined);
    watcher.closed(closedSoon);
    // Closed: no longer held while it waits (it would keep its pages and memtables alive).
    expect(closedSoon.iterator).toBeUndefined();
    expect(leftOpen.registered).toBe(false);
    await nextTurn();
    expect(closedSoon.registered).toBe(false);
    expect(leftOpen.registered).toBe(true);
    // Registered watches no longer hold their iterator (the registry must not keep it alive).
    expect(leftOpen.iterator).toBeUndefined();
    watcher.closed(leftOpen);
    expect(leftOpen.closed).toBe(true);
  });

  it('bounds the waiting list under a loop that never yields', () => {
    // Regression: a synchronous loop of iterators left open grew the list until the heap ran out.
    const watcher = new AbandonedIterators();
    const watches = Array.from({ length: 1000 }, () => watcher.watch({}, () => undefined));
    const waiting = watches.filter((watch) => watch.iterator !== undefined);
    expect(waiting.length).toBeLessThanOrEqual(256);
    expect(watches.slice(0, 512).every((watch) => watch.registered)).toBe(true);
  });
});
