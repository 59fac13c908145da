/**
 * Releases what an iterator pins when it is garbage-collected without being closed.
 *
 * A `FinalizationRegistry` entry costs V8 a weak cell that garbage collections then process:
 * measured at about 1.5 µs per iterator (making and closing one went from 0.7 to 2.2 µs), most
 * of what a seek and a few steps cost. Most iterators are closed in the turn of the event loop
 * that made them, so an iterator is registered only if it is still open when the loop next
 * turns, or when `FRESH_MAX` iterators wait (a loop that never yields); until then this list
 * holds it, which delays its collection that long.
 */
// The real setImmediate even under an application's fake timers (see event-loop-turns.ts).
import { setImmediate } from 'node:timers';

/** Iterators that wait for registration at most: bounds the list under a loop that never yields. */
const FRESH_MAX = 256;

export interface IteratorWatch {
  /** The iterator while it waits for the next turn; cleared once registered (the registry must not hold it). */
  iterator: object | undefined;
  readonly release: () => void;
  registered: boolean;
  closed: boolean;
}

export class AbandonedIterators {
  private readonly registry = new FinalizationRegistry<() => void>((release) => release());
  private fresh: IteratorWatch[] = [];
  private scheduled = false;

  /** Watches `iterator`: `release` runs if it is collected without `closed` being called. `release` must not hold the iterator. */
  watch(iterator: object, release: () => void): IteratorWatch {
    const watch: IteratorWatch = { iterator, release, registered: false, closed: false };
    if (this.fresh.length >= FRESH_MAX) this.registerFresh();
    this.fresh.push(watch);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.registerFresh();
      });
    }
    return watch;
  }

  /** The iterator was closed: nothing is left to release. */
  closed(watch: IteratorWatch): void {
    watch.closed = true;
    // A closed iterator must not wait here for the next turn: it holds pages and memtables.
    watch.iterator = undefined;
    if (watch.registered) this.registry.unregister(watch);
  }

  /** Registers the waiting iterators that are still open and forgets the rest. */
  private registerFresh(): void {
    const fresh = this.fresh;
    this.fresh = [];
    for (const watch of fresh) {
      const iterator = watch.iterator;
      watch.iterator = undefined;
      if (watch.closed || iterator === undefined) continue;
      watch.registered = true;
      this.registry.register(iterator, watch.release, watch);
    }
  }
}
