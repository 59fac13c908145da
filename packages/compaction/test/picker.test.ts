import { compareBytes } from '@kv/base';
import { LEVEL_COUNT } from '@kv/manifest';
import type { TableFileMeta, Version } from '@kv/manifest';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { filesOverlapping, levelTargets, pickCompaction, planManualCompaction, planSpan, resolvePolicy, trivialMove } from '../src/index.js';
import type { CompactionPlan } from '../src/index.js';
import { fileMeta, versionWith } from './helpers.js';

const MIB = 1024 * 1024;
const policy = resolvePolicy();

/** Applies `plan` the way the engine would, with one output file spanning the plan. */
function applyPlan(version: Version, plan: CompactionPlan, fileNumber: number): Version {
  const span = planSpan(plan);
  const removed = [...plan.inputs, ...plan.overlaps].map((file) => ({ level: file.level, fileNumber: file.fileNumber }));
  const output: TableFileMeta = { level: plan.outputLevel, fileNumber, sizeBytes: 1, smallestKey: span.smallest, largestKey: span.largest, seqMin: 1, seqMax: 1, entryCount: 1, tombstoneCount: 0 };
  return version.apply({ nextFileNumber: fileNumber + 1, removedFiles: removed, addedFiles: [output] });
}

const numbers = (files: readonly TableFileMeta[]): number[] => files.map((file) => file.fileNumber);
const k = (i: number): string => String(i).padStart(4, '0');

/** A random version: level 0 files may overlap; deeper levels hold disjoint sorted ranges. */
const versionArbitrary = fc
  .record({
    level0: fc.array(fc.tuple(fc.nat(999), fc.nat(60)), { maxLength: 6 }),
    deeper: fc.array(fc.uniqueArray(fc.nat(999), { maxLength: 16 }), { minLength: 6, maxLength: 6 }),
    sizes: fc.array(fc.integer({ min: 1, max: 200 * MIB }), { minLength: 60, maxLength: 60 }),
  })
  .map(({ level0, deeper, sizes }) => {
    let fileNumber = 1;
    const size = (): number => sizes[fileNumber % sizes.length] ?? MIB;
    const files: TableFileMeta[] = level0.map(([start, length]) => fileMeta(0, fileNumber++, k(start), k(Math.min(999, start + length)), size()));
    deeper.forEach((points, i) => {
      const sorted = [...points].sort((a, b) => a - b);
      for (let j = 0; j + 1 < sorted.length; j += 2) files.push(fileMeta(i + 1, fileNumber++, k(sorted[j] ?? 0), k(sorted[j + 1] ?? 0), size()));
    });
    return versionWith(files);
  });

describe('levelTargets', () => {
  it('scores level 0 by file count against the trigger', () => {
    const version = versionWith([1, 2, 3].map((n) => fileMeta(0, n, 'a', 'z', MIB)));
    expect(levelTargets(version, policy)[0]?.score).toBe(0.75);
    expect(pickCompaction(version, policy)).toBeUndefined();
    const four = versionWith([1, 2, 3, 4].map((n) => fileMeta(0, n, 'a', 'z', MIB)));
    expect(levelTargets(four, policy)[0]?.score).toBe(1);
  });

  it('derives the targets above the bottom from its actual size, never below the base minimum', () => {
    const version = versionWith([fileMeta(1, 1, 'a', 'b', 3 * MIB), fileMeta(2, 2, 'a', 'b', 30 * MIB), fileMeta(3, 3, 'a', 'b', 1000 * MIB)]);
    const targets = levelTargets(version, policy);
    expect(targets.map((target) => target.targetBytes).slice(1, 4)).toEqual([10 * MIB, 100 * MIB, 8 * MIB * 100]);
    expect(targets[3]?.score).toBeCloseTo(1000 / 800);
    expect(targets.slice(4).every((target) => target.targetBytes === 0 && target.score === 0)).toBe(true);
    const small = versionWith([fileMeta(1, 1, 'a', 'b', MIB), fileMeta(2, 2, 'a', 'b', 20 * MIB)]);
    expect(levelTargets(small, policy)[1]?.targetBytes).toBe(8 * MIB);
  });

  it('never scores the last level, which has nowhere to go', () => {
    const version = versionWith([fileMeta(6, 1, 'a', 'b', 10_000 * MIB), fileMeta(5, 2, 'a', 'b', 500 * MIB)]);
    const targets = levelTargets(version, policy);
    expect(targets[6]?.score).toBe(0);
    expect(targets[5]?.targetBytes).toBe(1000 * MIB);
    expect(targets[4]?.targetBytes).toBe(100 * MIB);
    expect(levelTargets(versionWith([]), policy).every((target) => target.score === 0)).toBe(true);
  });
});

describe('pickCompaction', () => {
  it('compacts every level-0 file with only the level-1 files they overlap', () => {
    const version = versionWith([
      fileMeta(0, 10, 'c', 'e', MIB), fileMeta(0, 11, 'd', 'f', MIB), fileMeta(0, 12, 'c', 'd', MIB), fileMeta(0, 13, 'e', 'e', MIB),
      fileMeta(1, 1, 'a', 'b', MIB), fileMeta(1, 2, 'b1', 'c', MIB), fileMeta(1, 3, 'e1', 'g', MIB), fileMeta(1, 4, 'h', 'i', MIB),
    ]);
    const plan = pickCompaction(version, policy);
    expect(plan).toMatchObject({ inputLevel: 0, outputLevel: 1, reason: 'level0', bottommost: true });
    expect(numbers(plan?.inputs ?? [])).toEqual([13, 12, 11, 10]);
    expect(numbers(plan?.overlaps ?? [])).toEqual([2, 3]);
  });

  it('takes only the oldest level0FilesMax level-0 files when asked (less free space needed)', () => {
    const version = versionWith([fileMeta(0, 9, 'a', 'c', MIB), fileMeta(0, 8, 'b', 'd', MIB), fileMeta(0, 7, 'm', 'n', MIB), fileMeta(0, 6, 'x', 'z', MIB), fileMeta(1, 1, 'a', 'b', MIB), fileMeta(1, 2, 'x', 'y', MIB)]);
    const plan = pickCompaction(version, policy, { level0FilesMax: 2 });
    expect(plan).toMatchObject({ inputLevel: 0, outputLevel: 1, reason: 'level0' });
    expect(numbers(plan?.inputs ?? [])).toEqual([7, 6]);
    expect(numbers(plan?.overlaps ?? [])).toEqual([2]);
    expect(numbers(pickCompaction(version, policy, { level0FilesMax: 0 })?.inputs ?? [])).toEqual([6]);
  });

  it('moves files down unchanged only when they overlap nothing below and each other, and never for a manual plan', () => {
    const disjoint = versionWith([fileMeta(0, 9, 'm', 'n', MIB), fileMeta(0, 8, 'k', 'l', MIB), fileMeta(1, 1, 'a', 'b', MIB)]);
    const plan = pickCompaction(disjoint, resolvePolicy({ level0CompactionTrigger: 2 }));
    expect(plan?.overlaps).toEqual([]);
    const move = plan === undefined ? undefined : trivialMove(plan);
    expect(move?.removedFiles).toEqual([{ level: 0, fileNumber: 9 }, { level: 0, fileNumber: 8 }]);
    expect(move?.addedFiles?.map((file) => [file.level, file.fileNumber])).toEqual([[1, 9], [1, 8]]);
    const moved = disjoint.apply(move ?? {});
    expect(numbers(moved.levels[1] ?? [])).toEqual([1, 8, 9]);
    const overlapping = versionWith([fileMeta(0, 9, 'k', 'n', MIB), fileMeta(0, 8, 'l', 'm', MIB)]);
    const both = pickCompaction(overlapping, resolvePolicy({ level0CompactionTrigger: 2 }));
    expect(both === undefined ? 'no plan' : trivialMove(both)).toBeUndefined();
    expect(plan === undefined ? 'no plan' : trivialMove({ ...plan, reason: 'manual' })).toBeUndefined();
  });

  it('picks the level most over its target', () => {
    const files = [fileMeta(1, 1, 'a', 'b', 16 * MIB), fileMeta(2, 2, 'a', 'b', 300 * MIB), fileMeta(3, 3, 'a', 'z', 1000 * MIB)];
    // Targets: L1 10 MiB (score 1.6), L2 100 MiB (score 3), L3 800 MiB (score 1.25).
    expect(pickCompaction(versionWith(files), policy)).toMatchObject({ inputLevel: 2, outputLevel: 3, reason: 'size', bottommost: true });
    // A new bottom (level 4) shrinks every target above it: level 3 (8 MiB floor) now wins.
    expect(pickCompaction(versionWith([...files, fileMeta(4, 4, 'a', 'a', MIB)]), policy)).toMatchObject({ inputLevel: 3, outputLevel: 4 });
    // Level 4 over its 100 MiB target compacts into level 5 while level 6 still holds the span.
    const deep = versionWith([fileMeta(4, 1, 'a', 'b', 500 * MIB), fileMeta(6, 2, 'a', 'z', 10_000 * MIB)]);
    expect(pickCompaction(deep, policy)).toMatchObject({ inputLevel: 4, outputLevel: 5, bottommost: false });
  });

  it('skips busy files, goes round-robin by key, and skips level 0 while any of it is busy', () => {
    const level1 = [fileMeta(1, 1, 'a', 'b', 10 * MIB), fileMeta(1, 2, 'c', 'd', 10 * MIB), fileMeta(1, 3, 'e', 'f', 10 * MIB)];
    const version = versionWith([...level1, fileMeta(2, 4, 'c', 'c', 10 * MIB), fileMeta(0, 9, 'a', 'z', MIB), fileMeta(0, 8, 'a', 'z', MIB), fileMeta(0, 7, 'a', 'z', MIB), fileMeta(0, 6, 'a', 'z', MIB)]);
    const cursors = new Map<number, Uint8Array>();
    // Level 0 (score 1) loses to level 1 (30 MiB over a 8 MiB target).
    expect(numbers(pickCompaction(version, policy, { cursors })?.inputs ?? [])).toEqual([1]);
    expect(numbers(pickCompaction(version, policy, { cursors })?.inputs ?? [])).toEqual([2]);
    expect(numbers(pickCompaction(version, policy, { cursors })?.inputs ?? [])).toEqual([3]);
    expect(numbers(pickCompaction(version, policy, { cursors })?.inputs ?? [])).toEqual([1]);
    expect(numbers(pickCompaction(version, policy, { cursors, busy: new Set([2]) })?.inputs ?? [])).toEqual([3]);
    // File 4 (level 2) is busy: file 2, which overlaps it, is skipped too.
    expect(numbers(pickCompaction(version, policy, { busy: new Set([1, 4]) })?.inputs ?? [])).toEqual([3]);
    // Every level-1 file busy: level 0 would need file 1..3 as overlaps, so nothing is possible.
    expect(pickCompaction(version, policy, { busy: new Set([1, 2, 3]) })).toBeUndefined();
    const level0Only = versionWith([fileMeta(0, 9, 'a', 'z', MIB), fileMeta(0, 8, 'a', 'z', MIB), fileMeta(0, 7, 'a', 'z', MIB), fileMeta(0, 6, 'a', 'z', MIB)]);
    expect(pickCompaction(level0Only, policy, { busy: new Set([7]) })).toBeUndefined();
  });

  it('keeps every level non-overlapping and reports bottommost truthfully, on random versions', () => {
    // Goal: whatever the picker chooses can be installed: removing the plan's files and adding
    // outputs inside the plan's span never makes the output level overlap, and `bottommost`
    // is true exactly when no deeper level holds a key in the span.
    // Strategy: random versions (overlapping level-0 files, disjoint ranges in levels 1-6,
    // random sizes, so any level may be over target), random busy sets; apply the plan with one
    // output spanning it (the widest an output can be) through `Version.apply`, which asserts
    // non-overlap. Repeat picking and applying a few times.
    // Invariants: apply never throws; no plan contains a busy file; inputs of a level >= 1 plan
    // come from one level and overlaps are exactly the next level's files inside the span.
    fc.assert(
      fc.property(versionArbitrary, fc.array(fc.nat(40), { maxLength: 5 }), (initial, busyList) => {
        let version = initial;
        const busy = new Set(busyList);
        let nextNumber = 1000;
        for (let round = 0; round < 4; round++) {
          const plan = pickCompaction(version, policy, { busy });
          if (plan === undefined) return;
          for (const file of [...plan.inputs, ...plan.overlaps]) expect(busy.has(file.fileNumber)).toBe(false);
          expect(numbers(plan.overlaps)).toEqual(numbers(filesOverlapping(version.levels[plan.outputLevel] ?? [], planSpan({ ...plan, overlaps: [] }))));
          let deeper = false;
          for (let level = plan.outputLevel + 1; level < LEVEL_COUNT; level++) deeper ||= filesOverlapping(version.levels[level] ?? [], planSpan(plan)).length > 0;
          expect(plan.bottommost).toBe(!deeper);
          version = applyPlan(version, plan, nextNumber++);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('planManualCompaction', () => {
  it('moves everything in the range to the bottom level, with installable plans', () => {
    // Goal: compactRange leaves no data for the range above the bottom level.
    // Strategy: random versions and ranges (either end may be open); apply every returned plan
    // in order with one output spanning it, through `Version.apply` (asserting non-overlap).
    // Invariants: every plan is bottommost and targets the deepest non-empty level; afterwards
    // no file above that level overlaps the range; files outside the range's clusters stay.
    fc.assert(
      fc.property(versionArbitrary, fc.option(fc.nat(999), { nil: undefined }), fc.option(fc.nat(999), { nil: undefined }), (initial, start, end) => {
        const range = { ...(start === undefined ? {} : { start: new TextEncoder().encode(k(start)) }), ...(end === undefined ? {} : { end: new TextEncoder().encode(k(end)) }) };
        const plans = planManualCompaction(initial, range, policy);
        const deepest = Math.max(1, ...initial.files().map((file) => file.level));
        let version = initial;
        let nextNumber = 1000;
        for (const plan of plans) {
          expect(plan).toMatchObject({ outputLevel: deepest, bottommost: true, reason: 'manual' });
          version = applyPlan(version, plan, nextNumber++);
        }
        const wanted = { smallest: range.start ?? new Uint8Array(0), largest: range.end ?? new Uint8Array([255, 255, 255, 255, 255]) };
        if (compareBytes(wanted.smallest, wanted.largest) > 0) return;
        for (let level = 0; level < deepest; level++) expect(filesOverlapping(version.levels[level] ?? [], wanted)).toEqual([]);
      }),
      { numRuns: 300 },
    );
  });

  it('plans independent clusters separately and leaves untouched ones alone', () => {
    const version = versionWith([fileMeta(0, 9, 'b', 'c', MIB), fileMeta(1, 1, 'a', 'b', MIB), fileMeta(2, 2, 'a', 'a', MIB), fileMeta(1, 3, 'm', 'n', MIB), fileMeta(2, 4, 'x', 'y', MIB)]);
    const plans = planManualCompaction(version, { start: new TextEncoder().encode('a'), end: new TextEncoder().encode('n') }, policy);
    expect(plans.map((plan) => [numbers(plan.inputs), numbers(plan.overlaps)])).toEqual([[[9, 1], [2]], [[3], []]]);
    expect(planManualCompaction(version, { start: new TextEncoder().encode('z') }, policy)).toEqual([]);
  });
});

describe('resolvePolicy', () => {
  it('fills in the documented defaults and rejects inconsistent triggers', () => {
    expect(resolvePolicy()).toEqual({ level0CompactionTrigger: 4, level0SlowdownTrigger: 8, level0StopTrigger: 12, levelSizeMultiplier: 10, baseLevelBytesMin: 8 * MIB, targetFileSizeBytes: 4 * MIB });
    expect(resolvePolicy({ levelSizeMultiplier: 4 }).levelSizeMultiplier).toBe(4);
    expect(() => resolvePolicy({ level0StopTrigger: 5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => resolvePolicy({ targetFileSizeBytes: 1.5 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => resolvePolicy({ levelSizeMultiplier: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
