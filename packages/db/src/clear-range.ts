/**
 * The range `db.clear(options)` deletes, as the half-open [start, end) of one range
 * tombstone. With a `limit`, the range is cut at the last of the first `limit` keys in
 * iteration order as of the call (read through `iterate`), so one tombstone still does it.
 */
import { InvalidArgumentError } from '@kv/base';
import type { DbIterator } from './db-iterator.js';
import { describe } from './input-bytes.js';
import { keySuccessor, rangeBounds, toKeyRange, toLimit, toReverse } from './key-range.js';
import type { ClearOptions, IteratorOptions } from './key-range.js';

/** Undefined when nothing is to be deleted (`limit` 0, or no key within a limited range). */
export function clearedRange(options: unknown, iterate: (options: IteratorOptions) => DbIterator): { start: Uint8Array; end: Uint8Array | undefined } | undefined {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('clear options', `must be an object, got ${describe(options)}`);
  const given = options as ClearOptions;
  const limit = toLimit(given.limit);
  const reverse = toReverse(given);
  const { start, end } = rangeBounds(toKeyRange(given));
  if (limit === 0) return undefined;
  if (limit === Infinity) return { start, end };
  const edge = lastKeyWithin(iterate({ ...given, limit, values: false }));
  if (edge === undefined) return undefined;
  return reverse ? { start: edge, end } : { start, end: keySuccessor(edge) };
}

/** The last key `iterator` reaches; it is closed afterwards. */
function lastKeyWithin(iterator: DbIterator): Uint8Array | undefined {
  try {
    let last: Uint8Array | undefined;
    for (let entry = iterator.nextSync(); entry !== undefined; entry = iterator.nextSync()) last = entry[0];
    return last;
  } finally {
    iterator.close();
  }
}
