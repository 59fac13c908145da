/**
 * Range options as abstract-level passes them to the private API, and their engine form.
 *
 * abstract-level gives `gte` precedence over `gt` and `lte` over `lt`, where the engine
 * applies both bounds of a side when both are given. So only the winning bound of each side
 * is passed on. `limit` arrives as -1 (none) or a non-negative integer, which the engine
 * reads the same way.
 */
import type { IteratorOptions } from '@kv/db';
import type { PrivateRangeOptions } from './private-options.js';

/** The engine range for `options`, with the order; the limit is left out. */
export function toEngineRange(options: PrivateRangeOptions): IteratorOptions {
  const range: IteratorOptions = { reverse: options.reverse };
  if (options.gte !== undefined) range.gte = options.gte;
  else if (options.gt !== undefined) range.gt = options.gt;
  if (options.lte !== undefined) range.lte = options.lte;
  else if (options.lt !== undefined) range.lt = options.lt;
  return range;
}

/** The engine range for `options`, including its limit (for `clear`). */
export function toEngineRangeWithLimit(options: PrivateRangeOptions): IteratorOptions {
  return { ...toEngineRange(options), limit: options.limit };
}
