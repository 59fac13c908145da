/**
 * The key bounds of an iterator, from the Level-style options `gt`, `gte`, `lt`, `lte`.
 * When both forms of a side are given, both apply (so the stricter wins).
 */
import { InvalidArgumentError, compareBytes } from '@kv/base';
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
}

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
