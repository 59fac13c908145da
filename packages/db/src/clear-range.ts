/**
 * What `db.clear(options)` writes. Without a `limit`, one range tombstone over the bounds
 * ([start, end)), whatever the number of keys. With a `limit`, point deletes of exactly the
 * first `limit` keys in iteration order as of the call: a tombstone cut at the last of them
 * would also hide writes issued before the clear but not yet applied when it was cut.
 */
import { InvalidArgumentError } from '@kv/base';
import type { DbIterator } from './db-iterator.js';
import { describe } from './input-bytes.js';
import { rangeBounds, toKeyRange, toLimit, toReverse } from './key-range.js';
import type { ClearOptions, IteratorOptions } from './key-range.js';

export type ClearPlan = { kind: 'range'; start: Uint8Array; end: Uint8Array | undefined } | { kind: 'keys'; keys: Uint8Array[] };

/** Undefined when nothing is to be deleted (`limit` 0, or no key within a limited range). */
export function planClear(options: unknown, iterate: (options: IteratorOptions) => DbIterator): ClearPlan | undefined {
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError('clear options', `must be an object, got ${describe(options)}`);
  const given = options as ClearOptions;
  const limit = toLimit(given.limit);
  toReverse(given); // checked even where no iteration reads it
  const { start, end } = rangeBounds(toKeyRange(given));
  if (limit === 0) return undefined;
  if (limit === Infinity) return { kind: 'range', start, end };
  const keys = keysWithin(iterate({ ...given, limit, values: false }));
  return keys.length === 0 ? undefined : { kind: 'keys', keys };
}

/** Every key `iterator` yields; it is closed afterwards. */
function keysWithin(iterator: DbIterator): Uint8Array[] {
  try {
    const keys: Uint8Array[] = [];
    for (let entry = iterator.nextSync(); entry !== undefined; entry = iterator.nextSync()) keys.push(entry[0]);
    return keys;
  } finally {
    iterator.close();
  }
}
