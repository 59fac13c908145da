import { toSeqNum } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConcatenatingIterator, MergingIterator } from '../src/index.js';
import type { InternalIterator } from '@kv/base';
import { ArrayIterator, compareEntries, del, put, sortEntries } from './helpers.js';
import type { ModelEntry } from './helpers.js';

type Operation =
  | { op: 'first' }
  | { op: 'last' }
  | { op: 'next' }
  | { op: 'prev' }
  | { op: 'seek'; key: Uint8Array; seq: number | undefined }
  | { op: 'seekForPrev'; key: Uint8Array; seq: number | undefined };

const keyArbitrary = fc.uint8Array({ minLength: 0, maxLength: 2, max: 3 });
const seqArbitrary = fc.option(fc.integer({ min: 0, max: 60 }), { nil: undefined });
const entriesArbitrary = fc
  .uniqueArray(fc.record({ key: keyArbitrary, seq: fc.integer({ min: 1, max: 60 }), del: fc.boolean() }), { selector: (entry) => entry.seq, maxLength: 40 })
  .map((items) => sortEntries(items.map((item) => (item.del ? del(item.key, item.seq) : put(item.key, item.seq)))));
/** Steps of a random walk whose seek targets come from `keys`. */
function operationsOver(keys: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Operation> {
  return fc.oneof(
    fc.constant({ op: 'first' as const }),
    fc.constant({ op: 'last' as const }),
    fc.constant({ op: 'next' as const }),
    fc.constant({ op: 'next' as const }),
    fc.constant({ op: 'prev' as const }),
    fc.constant({ op: 'prev' as const }),
    fc.record({ op: fc.constant('seek' as const), key: keys, seq: seqArbitrary }),
    fc.record({ op: fc.constant('seekForPrev' as const), key: keys, seq: seqArbitrary }),
  );
}
const operationArbitrary = operationsOver(keyArbitrary);

/** Position of the model after `operation` (-1 or length: invalid). */
function modelStep(model: readonly ModelEntry[], position: number, operation: Operation): number {
  switch (operation.op) {
    case 'first':
      return 0;
    case 'last':
      return model.length - 1;
    case 'next':
      return position + 1;
    case 'prev':
      return position - 1;
    case 'seek': {
      const target = { key: operation.key, seq: operation.seq ?? Number.MAX_SAFE_INTEGER };
      const i = model.findIndex((entry) => compareEntries(entry, target) >= 0);
      return i === -1 ? model.length : i;
    }
    case 'seekForPrev': {
      const target = { key: operation.key, seq: operation.seq ?? 0 };
      return model.findLastIndex((entry) => compareEntries(entry, target) <= 0);
    }
  }
}

function applyStep(iterator: InternalIterator, operation: Operation): void {
  const seq = 'seq' in operation && operation.seq !== undefined ? toSeqNum(operation.seq) : undefined;
  if (operation.op === 'first') iterator.seekToFirst();
  else if (operation.op === 'last') iterator.seekToLast();
  else if (operation.op === 'next') iterator.next();
  else if (operation.op === 'prev') iterator.prev();
  else if (operation.op === 'seek') iterator.seek(operation.key, seq);
  else iterator.seekForPrev(operation.key, seq);
}

/** Runs `operations` against `iterator` and the sorted `model`; next/prev only while valid. */
function checkAgainstModel(iterator: InternalIterator, model: readonly ModelEntry[], operations: readonly Operation[]): void {
  let position = model.length;
  for (const operation of operations) {
    const valid = position >= 0 && position < model.length;
    if ((operation.op === 'next' || operation.op === 'prev') && !valid) continue;
    position = modelStep(model, position, operation);
    applyStep(iterator, operation);
    const expected = model[position];
    expect(iterator.valid).toBe(expected !== undefined);
    if (expected !== undefined) {
      expect({ key: [...iterator.entry.key], seq: iterator.entry.seq, kind: iterator.entry.kind }).toEqual({ key: [...expected.key], seq: expected.seq, kind: expected.kind });
    }
  }
}

describe('MergingIterator', () => {
  it('matches a sorted-array model in both directions, across direction switches and seeks', () => {
    // Goal: the merge of several sorted sources behaves exactly like one sorted array.
    // Strategy: random unique (key, seq) entries over a tiny key alphabet (many versions per
    // key), dealt at random to 1-5 sources; a random walk of seeks, seekForPrev (with and
    // without seq), next and prev runs on the merge and on the model side by side.
    // Invariants: after every step, validity and the current (key, seq, kind) agree.
    fc.assert(
      fc.property(entriesArbitrary, fc.array(fc.nat(4)), fc.integer({ min: 1, max: 5 }), fc.array(operationArbitrary, { maxLength: 60 }), (model, dealing, sourceCount, operations) => {
        const parts: ModelEntry[][] = Array.from({ length: sourceCount }, () => []);
        model.forEach((entry, i) => parts[(dealing[i] ?? i) % sourceCount]?.push(entry));
        const merged = new MergingIterator(parts.map((part) => new ArrayIterator(part)));
        checkAgainstModel(merged, model, operations);
      }),
      { numRuns: 400 },
    );
  });

  it('merges the same way with key numbers (sharedKeyBytes) as without', () => {
    // Goal: numbers taken after the shared bytes never change the order, only how it is found.
    // Strategy: keys are a shared head (0-4 bytes) and a tail of up to 9 bytes from {0, 1, 2}:
    // tails longer than the 6 bytes a number holds tie on it, and zero bytes make a key tie
    // with its own prefix (padding). The same random walk as above, on the model, with the
    // numbers on.
    // Invariants: after every step, validity and the current (key, seq, kind) agree.
    const tail = fc.uint8Array({ minLength: 0, maxLength: 9, max: 2 });
    const headed = fc.uint8Array({ minLength: 0, maxLength: 4 }).chain((head) =>
      fc.record({
        head: fc.constant(head),
        entries: fc
          .uniqueArray(fc.record({ tail, seq: fc.integer({ min: 1, max: 80 }), del: fc.boolean() }), { selector: (entry) => entry.seq, maxLength: 50 })
          .map((items) => sortEntries(items.map((item) => {
            const key = new Uint8Array([...head, ...item.tail]);
            return item.del ? del(key, item.seq) : put(key, item.seq);
          }))),
        operations: fc.array(operationsOver(tail.map((bytes) => new Uint8Array([...head, ...bytes]))), { maxLength: 80 }),
      }),
    );
    fc.assert(
      fc.property(headed, fc.array(fc.nat(4)), fc.integer({ min: 1, max: 5 }), ({ head, entries, operations }, dealing, sourceCount) => {
        const parts: ModelEntry[][] = Array.from({ length: sourceCount }, () => []);
        entries.forEach((entry, i) => parts[(dealing[i] ?? i) % sourceCount]?.push(entry));
        const merged = new MergingIterator(parts.map((part) => new ArrayIterator(part)), { sharedKeyBytes: head.length });
        checkAgainstModel(merged, entries, operations);
      }),
      { numRuns: 400 },
    );
  });

  it('refuses sharedKeyBytes that is not a non-negative integer with INVALID_ARGUMENT', () => {
    for (const sharedKeyBytes of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => new MergingIterator([new ArrayIterator([put('a', 1)])], { sharedKeyBytes })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });

  it('turns around at the ends and on a key with versions in every source', () => {
    const a = [put('k', 9), put('k', 3)];
    const b = [put('k', 7), del('k', 1)];
    const c = [put('j', 8), put('l', 2)];
    const merged = new MergingIterator([new ArrayIterator(a), new ArrayIterator(b), new ArrayIterator(c)]);
    merged.seek(new TextEncoder().encode('k'), toSeqNum(7));
    expect(merged.entry.seq).toBe(7);
    merged.prev();
    expect(merged.entry.seq).toBe(9);
    merged.next();
    merged.next();
    expect(merged.entry.seq).toBe(3);
    merged.seekToLast();
    merged.prev();
    merged.next();
    expect(merged.entry.seq).toBe(2);
    merged.next();
    expect(merged.valid).toBe(false);
  });

  it('is invalid over no sources or only empty ones', () => {
    const merged = new MergingIterator([new ArrayIterator([]), new ArrayIterator([])]);
    merged.seekToFirst();
    expect(merged.valid).toBe(false);
    merged.seekForPrev(new Uint8Array([1]));
    expect(merged.valid).toBe(false);
    expect(() => merged.entry).toThrow(/invalid/);
  });
});

describe('ConcatenatingIterator', () => {
  it('matches a sorted-array model over disjoint runs, including empty parts', () => {
    // Goal: one level's files iterate as one sorted run.
    // Strategy: cut a random sorted model into contiguous parts at user-key boundaries (random
    // cut points, so some parts hold a single key), wrap each part, and random-walk as above.
    // Invariants: same as the merging iterator's walk.
    fc.assert(
      fc.property(entriesArbitrary, fc.array(fc.boolean(), { maxLength: 40 }), fc.array(operationArbitrary, { maxLength: 60 }), (model, cuts, operations) => {
        const parts: ModelEntry[][] = [[]];
        model.forEach((entry, i) => {
          const previous = model[i - 1];
          const newKey = previous !== undefined && compareEntries({ key: previous.key, seq: 0 }, { key: entry.key, seq: 0 }) !== 0;
          if (newKey && cuts[i] === true) parts.push([]);
          parts[parts.length - 1]?.push(entry);
        });
        const nonEmpty = parts.filter((part) => part.length > 0);
        const concatenated = new ConcatenatingIterator(
          nonEmpty.map((part) => ({ smallestKey: (part[0] as ModelEntry).key, largestKey: (part[part.length - 1] as ModelEntry).key, open: () => new ArrayIterator(part) })),
        );
        checkAgainstModel(concatenated, model, operations);
      }),
      { numRuns: 300 },
    );
  });

  it('makes a part\'s iterator only when the run reaches that part', () => {
    const parts = ['a', 'c', 'e', 'g'].map((key, i) => [put(key, i + 1), put(`${key}z`, i + 1)]);
    const opened: number[] = [];
    const concatenated = new ConcatenatingIterator(
      parts.map((part, i) => ({
        smallestKey: (part[0] as ModelEntry).key,
        largestKey: (part[1] as ModelEntry).key,
        open: () => {
          opened.push(i);
          return new ArrayIterator(part);
        },
      })),
    );
    concatenated.seek(new TextEncoder().encode('e'));
    expect(opened).toEqual([2]);
    concatenated.next();
    concatenated.next();
    expect(opened).toEqual([2, 3]);
    concatenated.seek(new TextEncoder().encode('e'));
    concatenated.prev();
    expect(opened).toEqual([2, 3, 1]);
    expect(new TextDecoder().decode(concatenated.entry.key)).toBe('cz');
  });
});
