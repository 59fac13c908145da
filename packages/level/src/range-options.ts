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

/** What an engine iterator reads besides its range and order: which sides, how many entries. */
export type EngineReadShape = Pick<IteratorOptions, 'keys' | 'values' | 'limit'>;

/**
 * The engine options for `options`' range and order, plus `shape` (sides and limit not in
 * `shape` get their defaults: both sides, and -1, no limit). One object literal with every
 * field, then the bounds, rather than `{ ...toEngineRange(options), keys, values }`: on Node 20
 * (V8 11.3) an object spread followed by more properties, once per iterator, made V8 promote
 * much of what each iterator allocated to the old generation (133–274 MiB per 200,000
 * iterators of eleven entries, against 35–45 MiB).
 */
export function toEngineRange(options: PrivateRangeOptions, shape: EngineReadShape = {}): IteratorOptions {
  const range: IteratorOptions = { reverse: options.reverse, keys: shape.keys ?? true, values: shape.values ?? true, limit: shape.limit ?? -1 };
  if (options.gte !== undefined) range.gte = options.gte;
  else if (options.gt !== undefined) range.gt = options.gt;
  if (options.lte !== undefined) range.lte = options.lte;
  else if (options.lt !== undefined) range.lt = options.lt;
  return range;
}

/** The engine range for `options`, including its limit (for `clear`). */
export function toEngineRangeWithLimit(options: PrivateRangeOptions): IteratorOptions {
  return toEngineRange(options, { limit: options.limit });
}
