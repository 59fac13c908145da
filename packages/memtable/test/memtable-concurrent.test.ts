import { toSeqNum } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Memtable } from '../src/index.js';
import type { MemtableEntry } from '../src/index.js';
import { NaiveModel, compareEntries, entriesArbitrary, entryArbitrary, keyArbitrary, leafSizeArbitrary } from './naive-model.js';

type Action =
  | { readonly type: 'add'; readonly entry: MemtableEntry }
  | { readonly type: 'next' }
  | { readonly type: 'prev' }
  | { readonly type: 'seek'; readonly key: Uint8Array };

const actionArbitrary: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: entryArbitrary.map((entry): Action => ({ type: 'add', entry })) },
  { weight: 3, arbitrary: fc.constant<Action>({ type: 'next' }) },
  { weight: 2, arbitrary: fc.constant<Action>({ type: 'prev' }) },
  { weight: 1, arbitrary: keyArbitrary.map((key): Action => ({ type: 'seek', key })) },
);

describe('iterating while adding', () => {
  it('continues in internal order from the current entry after adds', () => {
    // Goal: the engine iterates from an implicit snapshot while writes continue, so a step
    // after any number of adds must neither skip nor repeat an entry present at the step.
    // Strategy: a random initial table (small leaves, so adds shift entries inside leaves and
    // split them under the iterator), then a random interleaving of adds, next, prev and seek.
    // Adds whose seq is already used are skipped, as the engine never reuses one.
    // Invariants: after next (prev) from entry E the iterator holds the model's successor
    // (predecessor) of E among all entries present, or is invalid when E was the last (first);
    // the entry under the iterator never changes because of an add.
    fc.assert(
      fc.property(entriesArbitrary, leafSizeArbitrary, fc.array(actionArbitrary, { maxLength: 200 }), (initial, leafSize, actions) => {
        const table = new Memtable({ leafEntryCountMax: leafSize });
        const model = new NaiveModel();
        const seqs = new Set<number>();
        const add = (e: MemtableEntry): void => {
          if (seqs.has(e.seq)) return;
          seqs.add(e.seq);
          table.add(e.key, e.seq, e.kind, e.value);
          model.add(e);
        };
        initial.forEach(add);
        const iterator = table.iterator();
        iterator.seekToFirst();
        for (const action of actions) {
          if (action.type === 'add') {
            const before = iterator.valid ? iterator.entry : undefined;
            add(action.entry);
            expect(iterator.valid ? iterator.entry : undefined).toBe(before);
          } else if (action.type === 'seek') {
            iterator.seek(action.key);
          } else if (!iterator.valid) {
            iterator.seekToFirst();
          } else {
            const from = iterator.entry;
            const index = model.entries.findIndex((e) => e.seq === from.seq);
            expect(index).toBeGreaterThanOrEqual(0);
            if (action.type === 'next') iterator.next();
            else iterator.prev();
            const expected = model.entries[action.type === 'next' ? index + 1 : index - 1];
            expect(iterator.valid ? iterator.entry.seq : undefined).toBe(expected?.seq);
          }
        }
      }),
      { numRuns: 400 },
    );
  });

  it('visits every entry present at the start exactly once while adds interleave', () => {
    // Goal: the engine's scan pattern: one pass forward from seekToFirst with writes between
    // steps.
    // Strategy: a table of distinct keys, then between every two steps add a batch of entries
    // with fresh seqs (some before, some after the cursor, many in the same leaf).
    // Invariants: the visited sequence is strictly increasing in internal order and contains
    // every initial entry once.
    fc.assert(
      fc.property(
        entriesArbitrary,
        fc.array(fc.array(keyArbitrary, { maxLength: 4 }), { maxLength: 150 }),
        (initial, batches) => {
          const table = new Memtable({ leafEntryCountMax: 3 });
          let seq = 20_000;
          for (const e of initial) table.add(e.key, e.seq, e.kind, e.value);
          const visited: MemtableEntry[] = [];
          const iterator = table.iterator();
          let batch = 0;
          for (iterator.seekToFirst(); iterator.valid; iterator.next()) {
            visited.push(iterator.entry);
            for (const key of batches[batch++] ?? []) table.add(key, toSeqNum(seq++), 1, new Uint8Array([7]));
          }
          for (let i = 1; i < visited.length; i++) {
            expect(compareEntries(visited[i - 1] as MemtableEntry, visited[i] as MemtableEntry)).toBeLessThan(0);
          }
          for (const e of initial) expect(visited.filter((v) => v.seq === e.seq)).toHaveLength(1);
        },
      ),
      { numRuns: 300 },
    );
  });
});
