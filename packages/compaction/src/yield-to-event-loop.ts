/**
 * Hands the event loop back for one turn: how a job running inline on the engine's thread
 * lets reads and writes in between its slices. The real setImmediate even under an
 * application's fake timers: a job must not wait for a clock nobody advances.
 */
import { setImmediate } from 'node:timers';

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
