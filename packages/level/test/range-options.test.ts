import { Buffer } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import { toEngineRange, toEngineRangeWithLimit } from '../src/range-options.js';

const a = Buffer.from('a');
const b = Buffer.from('b');
const y = Buffer.from('y');
const z = Buffer.from('z');

describe('toEngineRange', () => {
  // abstract-level gives gte precedence over gt and lte over lt; the engine would apply both,
  // so only the winner of each side may reach it.
  it('passes only the winning bound of each side', () => {
    const range = toEngineRange({ gt: a, gte: b, lt: z, lte: y, reverse: false, limit: -1 });
    expect(range.gte).toBe(b);
    expect(range.lte).toBe(y);
    expect('gt' in range || 'lt' in range).toBe(false);
    const exclusive = toEngineRange({ gt: a, lt: z, reverse: true, limit: -1 });
    expect(exclusive).toEqual({ reverse: true, keys: true, values: true, limit: -1, gt: a, lt: z });
  });

  it('fills the read shape with the engine defaults and takes what is given', () => {
    expect(toEngineRange({ reverse: false, limit: 7 })).toEqual({ reverse: false, keys: true, values: true, limit: -1 });
    expect(toEngineRange({ reverse: false, limit: 7 }, { keys: false, values: true })).toEqual({ reverse: false, keys: false, values: true, limit: -1 });
    expect(toEngineRangeWithLimit({ gte: a, reverse: false, limit: 7 })).toEqual({ reverse: false, keys: true, values: true, limit: 7, gte: a });
  });
});
