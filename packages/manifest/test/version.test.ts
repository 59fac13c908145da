import { AssertionError, CorruptionError, compareBytes } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { LEVEL_COUNT, Version } from '../src/index.js';
import type { TableFileMeta, VersionEdit } from '../src/index.js';
import { OPTIONS, editFor, file, initialVersion, lsmStepArb } from './helpers.js';

const numbersOf = (version: Version, level: number): number[] => (version.levels[level] ?? []).map((f) => f.fileNumber);

describe('Version.apply', () => {
  test('starts empty', () => {
    const empty = Version.empty();
    expect(empty.levels).toHaveLength(LEVEL_COUNT);
    expect(empty.files()).toEqual([]);
    expect([empty.logNumber, empty.nextFileNumber, empty.lastSequence, empty.options]).toEqual([0, 0, 0, undefined]);
  });

  test('keeps level 0 newest first, by file number', () => {
    const version = initialVersion()
      .apply({ nextFileNumber: 20, addedFiles: [file({ level: 0, fileNumber: 5 }), file({ level: 0, fileNumber: 12 })] })
      .apply({ addedFiles: [file({ level: 0, fileNumber: 9 }), file({ level: 0, fileNumber: 14 })] });
    expect(numbersOf(version, 0)).toEqual([14, 12, 9, 5]);
  });

  test('keeps deeper levels sorted by smallest key', () => {
    const version = initialVersion().apply({
      nextFileNumber: 20,
      addedFiles: [
        file({ level: 2, fileNumber: 5, smallest: 'm', largest: 'p' }),
        file({ level: 2, fileNumber: 6, smallest: 'a', largest: 'c' }),
        file({ level: 2, fileNumber: 7, smallest: 'd', largest: 'f' }),
      ],
    });
    expect(numbersOf(version, 2)).toEqual([6, 7, 5]);
    expect(version.levelBytes(2)).toBe(1005 + 1006 + 1007);
    expect(version.files().map((f) => f.fileNumber)).toEqual([6, 7, 5]);
  });

  test('removes and adds, and moves a file by removing and re-adding its number', () => {
    const base = initialVersion().apply({ nextFileNumber: 20, addedFiles: [file({ level: 0, fileNumber: 5 }), file({ level: 1, fileNumber: 6, smallest: 'a', largest: 'b' })] });
    const moved = base.apply({ removedFiles: [{ level: 1, fileNumber: 6 }], addedFiles: [file({ level: 2, fileNumber: 6, smallest: 'a', largest: 'b' })] });
    expect(numbersOf(moved, 1)).toEqual([]);
    expect(numbersOf(moved, 2)).toEqual([6]);
    const dropped = moved.apply({ removedFiles: [{ level: 0, fileNumber: 5 }] });
    expect(dropped.files().map((f) => f.fileNumber)).toEqual([6]);
    // The older versions are untouched.
    expect(base.files().map((f) => f.fileNumber)).toEqual([5, 6]);
  });

  test('copies the keys it keeps and freezes its lists', () => {
    const added = file({ level: 0, fileNumber: 5, smallest: 'a' });
    const version = initialVersion().apply({ nextFileNumber: 6, addedFiles: [added] });
    added.smallestKey[0] = 0x7a;
    expect(version.files()[0]?.smallestKey).toEqual(new Uint8Array([0x61]));
    expect(Object.isFrozen(version.levels[0])).toBe(true);
    expect(Object.isFrozen(version.files()[0])).toBe(true);
  });

  test('updates counters and sets options once', () => {
    const version = Version.empty().apply({ options: OPTIONS, logNumber: 4, nextFileNumber: 9, lastSequence: 77 });
    expect([version.logNumber, version.nextFileNumber, version.lastSequence]).toEqual([4, 9, 77]);
    expect(version.options).toEqual(OPTIONS);
    expect(version.apply({ options: { ...OPTIONS } }).options).toEqual(OPTIONS);
  });

  const invalid: [string, VersionEdit][] = [
    ['removing a file that is not there', { removedFiles: [{ level: 0, fileNumber: 5 }] }],
    ['removing a file from the wrong level', { removedFiles: [{ level: 1, fileNumber: 3 }] }],
    ['adding a duplicate file number', { addedFiles: [file({ level: 1, fileNumber: 3, smallest: 'x', largest: 'y' })] }],
    ['adding the same number twice', { addedFiles: [file({ level: 0, fileNumber: 8 }), file({ level: 0, fileNumber: 8 })] }],
    ['overlapping files in level 1', { addedFiles: [file({ level: 1, fileNumber: 8, smallest: 'b', largest: 'd' }), file({ level: 1, fileNumber: 9, smallest: 'd', largest: 'e' })] }],
    ['a file number at or above nextFileNumber', { addedFiles: [file({ level: 0, fileNumber: 10 })] }],
    ['nextFileNumber going back', { nextFileNumber: 9 }],
    ['lastSequence going back', { lastSequence: 4 }],
    ['logNumber going back', { logNumber: 1 }],
    ['logNumber above nextFileNumber', { logNumber: 11 }],
    ['different options', { options: { pageSizeBytes: 8192 } }],
    ['a level out of range', { addedFiles: [file({ level: LEVEL_COUNT, fileNumber: 8 })] }],
  ];

  test.each(invalid)('refuses %s: AssertionError for a fresh edit, CorruptionError on replay', (_name, edit) => {
    const base = Version.empty().apply({ options: OPTIONS, logNumber: 2, nextFileNumber: 10, lastSequence: 5, addedFiles: [file({ level: 0, fileNumber: 3 })] });
    expect(() => base.apply(edit)).toThrow(AssertionError);
    expect(() => base.apply(edit, { where: 'manifest X' })).toThrow(CorruptionError);
    expect(() => base.apply(edit, { where: 'manifest X' })).toThrow(/^manifest X: edit does not apply/);
    const replayed = [{ edit: { lastSequence: 6 }, where: 'manifest W' }, { edit, where: 'manifest X' }];
    expect(() => base.applyReplayed(replayed)).toThrow(CorruptionError);
    expect(() => base.applyReplayed(replayed)).toThrow(/^manifest X: edit does not apply/);
  });

  test('applyReplayed equals applying each edit in turn: the same version, or the same error from the same edit', () => {
    // Goal: a manifest replay builds the version once (VersionBuilder) instead of once per
    // edit; it must accept and refuse exactly what applying the edits one by one does.
    // Strategy: scripts mixing valid LSM steps with raw edits that add files to random levels
    // over random key ranges (overlaps in levels >= 1), remove random file numbers from
    // random levels, or move counters; applied both ways.
    // Invariants: both succeed with equal versions, or both throw the same message.
    const key = (n: number): string => `k${String(n).padStart(3, '0')}`;
    const rawArb = fc.oneof(
      fc.record({ kind: fc.constant('add' as const), level: fc.nat({ max: 3 }), low: fc.nat({ max: 24 }), span: fc.nat({ max: 4 }) }),
      fc.record({ kind: fc.constant('remove' as const), level: fc.nat({ max: 3 }), pick: fc.nat({ max: 30 }) }),
      fc.record({ kind: fc.constant('counter' as const), lastSequence: fc.nat({ max: 50 }) }),
    );
    const stepArb = fc.oneof({ weight: 3, arbitrary: lsmStepArb.map((step) => ({ step })) }, { weight: 2, arbitrary: rawArb.map((raw) => ({ raw })) });
    fc.assert(
      fc.property(fc.array(stepArb, { maxLength: 40 }), (script) => {
        // Edits are generated against the one-by-one fold (a failed edit is skipped for
        // generation), so later edits refer to files that exist.
        let model = initialVersion();
        let counter = model.nextFileNumber;
        const allocate = (): number => counter++;
        const edits: { edit: VersionEdit; where: string }[] = [];
        for (const [i, entry] of script.entries()) {
          let edit: VersionEdit;
          if ('step' in entry) edit = { ...editFor(model, entry.step, allocate), nextFileNumber: counter + 1 };
          else if (entry.raw.kind === 'add') {
            const { level, low, span } = entry.raw;
            edit = { nextFileNumber: counter + 2, addedFiles: [file({ level, fileNumber: allocate(), smallest: key(low), largest: key(low + span) })] };
          } else if (entry.raw.kind === 'remove') {
            const files = model.files();
            const chosen = files[entry.raw.pick % Math.max(1, files.length)];
            edit = { removedFiles: [{ level: entry.raw.level, fileNumber: chosen?.fileNumber ?? 999 }] };
          } else edit = { lastSequence: entry.raw.lastSequence };
          edits.push({ edit, where: `record ${i}` });
          try {
            model = model.apply(edit);
          } catch {
            // Keeps generating from the last good version.
          }
        }
        const outcome = (run: () => Version): { version: Version } | { error: string } => {
          try {
            return { version: run() };
          } catch (error) {
            return { error: String(error) };
          }
        };
        const oneByOne = outcome(() => edits.reduce((version, { edit, where }) => version.apply(edit, { where }), initialVersion()));
        const replayed = outcome(() => initialVersion().applyReplayed(edits));
        expect(replayed).toEqual(oneByOne);
        // Both share VersionBuilder; the naive model (copy, sort, check every pair) is independent.
        const naive = naiveReplay(initialVersion(), edits.map(({ edit }) => edit));
        if ('version' in replayed) {
          checkInvariants(replayed.version);
          expect(naive).toEqual(replayed.version.levels.map((files) => files.map((f) => f.fileNumber)));
        } else expect(naive).toBe('fails');
      }),
      { numRuns: 500 },
    );
  });

  test('keeps every invariant and rebuilds itself from its snapshot, for any edit script', () => {
    // Goal: valid edit sequences keep the level invariants, and a snapshot reproduces a version.
    // Strategy: random scripts of flushes, compactions into level 1, moves down a level and
    // new WAL numbers, applied one by one (as a manifest replays them).
    // Invariants: level 0 strictly descending by number; levels >= 1 sorted by smallest key
    // and non-overlapping; file numbers unique and below nextFileNumber; lastSequence grows
    // by one per edit; Version.empty().apply(v.snapshot()) equals v.
    fc.assert(
      fc.property(fc.array(lsmStepArb, { maxLength: 40 }), (steps) => {
        let version = initialVersion();
        let counter = version.nextFileNumber;
        const allocate = (): number => counter++;
        for (const step of steps) {
          const edit = editFor(version, step, allocate);
          version = version.apply({ ...edit, nextFileNumber: counter });
          checkInvariants(version);
        }
        expect(version.lastSequence).toBe(steps.length);
        expect(Version.empty().apply(version.snapshot())).toEqual(version);
      }),
    );
  });
});

function checkInvariants(version: Version): void {
  const level0 = numbersOf(version, 0);
  expect(level0).toEqual([...level0].sort((a, b) => b - a));
  for (let level = 1; level < LEVEL_COUNT; level++) {
    const files = version.levels[level] ?? [];
    for (let i = 1; i < files.length; i++) {
      const [before, after] = [files[i - 1], files[i]];
      if (before === undefined || after === undefined) continue;
      expect(compareBytes(before.largestKey, after.smallestKey)).toBeLessThan(0);
    }
  }
  const numbers = version.files().map((f) => f.fileNumber);
  expect(new Set(numbers).size).toBe(numbers.length);
  for (const n of numbers) expect(n).toBeLessThan(version.nextFileNumber);
}

/**
 * The file rules of an edit script, applied the plain way: each edit copies every level,
 * removes, adds, sorts, and checks every adjacent pair of levels >= 1 for overlap (ranges are
 * inclusive). Also the counter rules the scripts above can break. The file numbers of each
 * level after the script, or 'fails' when an edit breaks a rule.
 */
function naiveReplay(base: Version, edits: readonly VersionEdit[]): number[][] | 'fails' {
  let levels = base.levels.map((files) => [...files]);
  let { nextFileNumber, lastSequence } = base;
  for (const edit of edits) {
    if ((edit.lastSequence ?? lastSequence) < lastSequence || (edit.nextFileNumber ?? nextFileNumber) < nextFileNumber) return 'fails';
    nextFileNumber = edit.nextFileNumber ?? nextFileNumber;
    lastSequence = edit.lastSequence ?? lastSequence;
    const next = levels.map((files) => [...files]);
    for (const removal of edit.removedFiles ?? []) {
      const files = next[removal.level] ?? [];
      const index = files.findIndex((f) => f.fileNumber === removal.fileNumber);
      if (index < 0) return 'fails';
      files.splice(index, 1);
    }
    for (const added of edit.addedFiles ?? []) {
      if (added.level >= LEVEL_COUNT || added.fileNumber >= nextFileNumber || next.flat().some((f) => f.fileNumber === added.fileNumber)) return 'fails';
      next[added.level]?.push(added);
    }
    next[0]?.sort((a, b) => b.fileNumber - a.fileNumber);
    for (const files of next.slice(1)) {
      files.sort((a, b) => compareBytes(a.smallestKey, b.smallestKey) || a.fileNumber - b.fileNumber);
      for (let i = 1; i < files.length; i++) {
        if (compareBytes((files[i - 1] as TableFileMeta).largestKey, (files[i] as TableFileMeta).smallestKey) >= 0) return 'fails';
      }
    }
    levels = next;
  }
  return levels.map((files) => files.map((f) => f.fileNumber));
}
