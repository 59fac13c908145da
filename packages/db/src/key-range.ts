/**
 * The key bounds of an iterator, from the Level-style options `gt`, `gte`, `lt`, `lte`.
 * When both forms of a side are given, both apply (so the stricter wins).
 */
import { InvalidArgumentError, compareBytes } from '@kv/base';
import type { EntryShape } from './db-iterator.js';
import { describe, toKey } from './input-bytes.js';

export interface IteratorOptions {
  gt?: Uint8Array | string;
  gte?: Uint8Array | string;
  lt?: Uint8Array | string;
  lte?: Uint8Array | string;
  /** Iterate from the largest key down. Default false. */
  reverse?: boolean;
  /** Most entries to yield; -1 or Infinity for no limit (the default). */
  limit?: number;
  /** Hand out keys (default true); false leaves each entry's key empty. */
  keys?: boolean;
  /** Hand out values (default true); false leaves each entry's value empty. */
  values?: boolean;
}

/** The bounds of `db.clear()`: like an iterator's, `limit` counting in iteration order. */
export type ClearOptions = Pick<IteratorOptions, 'gt' | 'gte' | 'lt' | 'lte' | 'reverse' | 'limit'>;

interface Bound {
  key: Uint8Array;
  inclusive: boolean;
}

export class KeyRange {
  readonly lower: Bound | undefined;
  readonly upper: Bound | undefined;

  constructor(lower: Bound | undefined, upper: Bound | undefined) {
    this.lower = lower;
    this.upper = upper;
  }

  /** Whether `key` is not below the lower bound. */
  aboveLower(key: Uint8Array): boolean {
    if (this.lower === undefined) return true;
    const order = compareBytes(key, this.lower.key);
    return order > 0 || (order === 0 && this.lower.inclusive);
  }

  /** Whether `key` is not above the upper bound. */
  belowUpper(key: Uint8Array): boolean {
    if (this.upper === undefined) return true;
    const order = compareBytes(key, this.upper.key);
    return order < 0 || (order === 0 && this.upper.inclusive);
  }
}

/** Builds the range from iterator options; throws INVALID_ARGUMENT on bad types. */
export function toKeyRange(options: IteratorOptions): KeyRange {
  const lower = stricter(bound(options.gt, 'gt', false), bound(options.gte, 'gte', true), 1);
  const upper = stricter(bound(options.lt, 'lt', false), bound(options.lte, 'lte', true), -1);
  return new KeyRange(lower, upper);
}

function bound(input: unknown, name: string, inclusive: boolean): Bound | undefined {
  return input === undefined ? undefined : { key: toKey(input, `iterator option ${name}`), inclusive };
}

/** Of two bounds on one side, the one that admits fewer keys. `direction` 1 = lower side. */
function stricter(a: Bound | undefined, b: Bound | undefined, direction: 1 | -1): Bound | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  const order = compareBytes(a.key, b.key) * direction;
  if (order !== 0) return order > 0 ? a : b;
  return a.inclusive ? b : a;
}

/** Reads `limit`: undefined, -1 and Infinity mean none; otherwise a non-negative integer. */
export function toLimit(limit: unknown): number {
  if (limit === undefined || limit === -1 || limit === Infinity) return Infinity;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0) {
    throw new InvalidArgumentError('iterator option limit', `must be a non-negative integer, -1 or Infinity, got ${describe(limit)} ${String(limit)}`);
  }
  return limit;
}

/**
 * The range as a half-open [start, end) for a range tombstone: an exclusive lower bound and an
 * inclusive upper bound move to the next key (the key plus a zero byte); no lower bound is the
 * empty key, no upper bound is `end` undefined.
 */
export function rangeBounds(range: KeyRange): { start: Uint8Array; end: Uint8Array | undefined } {
  const { lower, upper } = range;
  const start = lower === undefined ? new Uint8Array(0) : lower.inclusive ? lower.key : keySuccessor(lower.key);
  const end = upper === undefined ? undefined : upper.inclusive ? keySuccessor(upper.key) : upper.key;
  return { start, end };
}

/** The smallest key after `key` in byte order: `key` followed by a zero byte. */
export function keySuccessor(key: Uint8Array): Uint8Array {
  const next = new Uint8Array(key.length + 1);
  next.set(key);
  return next;
}

/** Reads `keys` and `values` (booleans, default true). */
export function toShape(options: IteratorOptions): EntryShape {
  const read = (name: 'keys' | 'values'): boolean => {
    const value = options[name];
    if (value === undefined) return true;
    if (typeof value !== 'boolean') throw new InvalidArgumentError(`iterator option ${name}`, `must be a boolean, got ${describe(value)}`);
    return value;
  };
  return { keys: read('keys'), values: read('values') };
}

/** Reads `reverse` (a boolean, default false). */
export function toReverse(options: { reverse?: unknown }): boolean {
  const value = options.reverse;
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw new InvalidArgumentError('option reverse', `must be a boolean, got ${describe(value)}`);
  return value;
}
