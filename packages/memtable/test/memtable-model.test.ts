import { toSeqNum } from '@kv/base';
import fc from 'fast-check';
import { beforeEach, describe, expect, it } from 'vitest';
import { Memtable } from '../src/index.js';
import type { MemtableEntry, MemtableIterator } from '../src/index.js';
import { NaiveModel, entriesArbitrary, keyArbitrary, leafSizeArbitrary } from './naive-model.js';

/**
 * Each property runs for both ways the table keeps bytes: copies in its own chunks (the
 * default) and references to the caller's (`referenceBytes`, the engine's way).
 */
const MODES = [{ referenceBytes: false }, { referenceBytes: true }] as const;
let referenceBytes = false;

/**
 * Adds every other entry with `addRange`, from one shared array holding its key and value at
 * offsets past a gap byte; the array itself starts one byte into its buffer. That is the
 * engine's way: keys and values lie in a batch payload, a slice of a larger chunk. So the
 * insert path that takes a key as offsets is held to the same model as `add`. The model gets
 * views of that array, so referenced values still compare buffer and offset.
 */
function build(entries: MemtableEntry[], leafEntryCountMax: number): { table: Memtable; model: NaiveModel } {
  const table = new Memtable({ leafEntryCountMax, referenceBytes });
  const model = new NaiveModel();
  // A view that itself starts one byte into its buffer, as payload slices do.
  const shared = new Uint8Array(1 + entries.reduce((bytes, e) => bytes + e.key.length + e.value.length + 2, 0)).subarray(1);
  let at = 0;
  entries.forEach((e, i) => {
    if (i % 2 === 0) {
      table.add(e.key, e.seq, e.kind, e.value);
      model.add(e);
      return;
    }
    const keyStart = at + 1;
    shared.set(e.key, keyStart);
    const valueStart = keyStart + e.key.length + 1;
    shared.set(e.value, valueStart);
    at = valueStart + e.value.length;
    table.addRange(shared, keyStart, e.key.length, e.seq, e.kind, valueStart, e.value.length);
    model.add({ ...e, key: shared.subarray(keyStart, keyStart + e.key.length), value: shared.subarray(valueStart, at) });
  });
  return { table, model };
}

/** The entry under the iterator, or undefined when it is invalid. */
function at(iterator: MemtableIterator): MemtableEntry | undefined {
  return iterator.valid ? iterator.entry : undefined;
}

function expectSame(actual: MemtableEntry | undefined, expected: MemtableEntry | undefined): void {
  if (expected === undefined) {
    expect(actual).toBeUndefined();
    return;
  }
  expect(actual).toBeDefined();
  expect(Array.from(actual?.key ?? [])).toEqual(Array.from(expected.key));
  expect(actual?.seq).toBe(expected.seq);
  expect(actual?.kind).toBe(expected.kind);
  expect(Array.from(actual?.value ?? [])).toEqual(Array.from(expected.value));
  if (referenceBytes) {
    // Referenced, not copied: a view of the buffer the table was given.
    expect(actual?.value.buffer).toBe(expected.value.buffer);
    expect(actual?.value.byteOffset).toBe(expected.value.byteOffset);
  }
}

const seqOrDefault = fc.option(fc.integer({ min: 0, max: 10_001 }), { nil: undefined });

describe.each(MODES)('Memtable against a sorted-array model (referenceBytes: $referenceBytes)', (mode) => {
  beforeEach(() => {
    referenceBytes = mode.referenceBytes;
  });

  it('iterates forward and backward in internal order', () => {
    // Goal: the table's order is the model's order, whatever the insert order and leaf size.
    // Strategy: random entries (colliding keys, distinct seqs) into a table and the model; walk
    // the table from seekToFirst with next and from seekToLast with prev.
    // Invariants: the walks list exactly the model's entries, forward and reversed.
    fc.assert(
      fc.property(entriesArbitrary, leafSizeArbitrary, (entries, leafSize) => {
        const { table, model } = build(entries, leafSize);
        const forward: MemtableEntry[] = [];
        const iterator = table.iterator();
        for (iterator.seekToFirst(); iterator.valid; iterator.next()) forward.push(iterator.entry);
        expect(forward.length).toBe(model.entries.length);
        forward.forEach((e, i) => expectSame(e, model.entries[i]));
        const backward: MemtableEntry[] = [];
        for (iterator.seekToLast(); iterator.valid; iterator.prev()) backward.push(iterator.entry);
        expect(backward).toEqual([...forward].reverse());
      }),
      { numRuns: 300 },
    );
  });

  it('answers get(key, seqMax) with the newest visible version', () => {
    // Goal: point reads see exactly the newest entry with seq <= seqMax, deletes included.
    // Strategy: random tables; random query keys from the same small alphabet (so they hit)
    // and random seqMax, including below and above every seq.
    // Invariants: table.get equals the model's first match in internal order.
    fc.assert(
      fc.property(
        entriesArbitrary,
        leafSizeArbitrary,
        fc.array(fc.tuple(keyArbitrary, fc.integer({ min: 0, max: 10_001 })), { maxLength: 40 }),
        (entries, leafSize, queries) => {
          const { table, model } = build(entries, leafSize);
          for (const e of entries) expectSame(table.get(e.key, toSeqNum(e.seq)), model.get(e.key, e.seq));
          for (const [key, seqMax] of queries) expectSame(table.get(key, toSeqNum(seqMax)), model.get(key, seqMax));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('lands seek and seekForPrev where the model does, then steps like it', () => {
    // Goal: both seeks find the right entry for any (key, seq) target, default seq included,
    // and next/prev continue from there.
    // Strategy: random tables and targets; after each seek take up to three steps in a random
    // direction, tracking the expected index in the model.
    // Invariants: the iterator is valid exactly when the model index is in range, and then
    // holds the model's entry at that index.
    const step = fc.array(fc.boolean(), { maxLength: 3 });
    fc.assert(
      fc.property(
        entriesArbitrary,
        leafSizeArbitrary,
        fc.array(fc.tuple(keyArbitrary, seqOrDefault, fc.boolean(), step), { maxLength: 20 }),
        (entries, leafSize, seeks) => {
          const { table, model } = build(entries, leafSize);
          const iterator = table.iterator();
          for (const [key, seq, forPrev, moves] of seeks) {
            let index: number;
            if (forPrev) {
              iterator.seekForPrev(key, seq === undefined ? undefined : toSeqNum(seq));
              index = model.seekForPrevIndex(key, seq ?? 0);
            } else {
              iterator.seek(key, seq === undefined ? undefined : toSeqNum(seq));
              index = model.seekIndex(key, seq ?? Number.MAX_SAFE_INTEGER);
            }
            expectSame(at(iterator), index < 0 ? undefined : model.entries[index]);
            for (const forward of moves) {
              if (!iterator.valid) break;
              if (forward) iterator.next();
              else iterator.prev();
              index += forward ? 1 : -1;
              expectSame(at(iterator), model.entries[index]);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps order, gets and seeks when keys share a long head that a later key breaks', () => {
    // Goal: prefixes are taken after the head all keys share; a key that leaves the head
    // shortens it and every prefix is retaken, and targets off the head sort before or after all.
    // Strategy: entries whose keys are one random head (up to 40 bytes, longer than the head
    // kept) plus a short tail, with some keys cut inside the head or changed in it, inserted in
    // random order with small leaves; probes: every key, the head cut short and changed.
    // Invariants: the forward walk, get(key, seqMax) and seek/seekForPrev equal the model.
    const headArb = fc.uint8Array({ minLength: 1, maxLength: 40 }).map((b) => b.map((x) => [0x30, 0x31, 0][x % 3] ?? 0x30));
    const shapeArb = fc.array(fc.tuple(fc.nat({ max: 9 }), fc.nat({ max: 39 }), fc.integer({ min: -1, max: 1 })), { minLength: 1, maxLength: 60 });
    fc.assert(
      fc.property(headArb, shapeArb, entriesArbitrary, leafSizeArbitrary, (head, shapes, base, leafSize) => {
        const reshape = (tail: Uint8Array, [kind, cut, delta]: [number, number, number]): Uint8Array => {
          if (kind === 0) return head.subarray(0, Math.min(cut, head.length));
          if (kind === 1) {
            const at = Math.min(cut, head.length - 1);
            return Uint8Array.from([...head.subarray(0, at), ((head[at] as number) + delta + 256) % 256, ...tail]);
          }
          return Uint8Array.from([...head, ...tail]);
        };
        const seen = new Set<string>();
        const entries = base
          .map((entry, i) => ({ ...entry, key: reshape(entry.key, shapes[i % shapes.length] as [number, number, number]) }))
          .filter((entry) => {
            const id = `${Array.from(entry.key).join(',')}@${entry.seq}`;
            if (seen.has(id)) return false;
            seen.add(id);
            return true;
          });
        const { table, model } = build(entries, leafSize);
        const walked: MemtableEntry[] = [];
        const iterator = table.iterator();
        for (iterator.seekToFirst(); iterator.valid; iterator.next()) walked.push(iterator.entry);
        expect(walked.length).toBe(model.entries.length);
        walked.forEach((e, i) => expectSame(e, model.entries[i]));
        const last = head[head.length - 1] as number;
        const probes = [...entries.map((e) => e.key), head.subarray(0, -1), Uint8Array.from([...head.subarray(0, -1), (last + 1) % 256]), Uint8Array.from([...head.subarray(0, -1), (last + 255) % 256]), new Uint8Array(0)];
        for (const key of probes) {
          for (const seq of [0, 5000, 10_001]) {
            expectSame(table.get(key, toSeqNum(seq)), model.get(key, seq));
            iterator.seek(key, toSeqNum(seq));
            expectSame(at(iterator), model.entries[model.seekIndex(key, seq)]);
            iterator.seekForPrev(key, toSeqNum(seq));
            expectSame(at(iterator), model.entries[model.seekForPrevIndex(key, seq)]);
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
