import { EntryKind, RangeTombstoneIndex, encodeExpiringValue, toSeqNum } from '@kv/base';
import { Version } from '@kv/manifest';
import type { TableFileMeta } from '@kv/manifest';
import { describe, expect, it } from 'vitest';
import { RetentionFilter, planRangeTombstoneCleanup } from '../src/index.js';
import { del, put } from './helpers.js';
import type { ModelEntry } from './helpers.js';

const key = (text: string): Uint8Array => new TextEncoder().encode(text);
const tombstones = (...list: [string, string | undefined, number][]): RangeTombstoneIndex =>
  new RangeTombstoneIndex(list.map(([start, end, seq]) => ({ start: key(start), end: end === undefined ? undefined : key(end), seq: toSeqNum(seq) })));
const expiring = (k: string, seq: number, expiresAt: number): ModelEntry => ({ key: key(k), seq, kind: EntryKind.PutExpiring, value: encodeExpiringValue(expiresAt, key('v')) });
const decideAll = (filter: RetentionFilter, entries: readonly ModelEntry[]): string[] => entries.map((entry) => filter.decide({ ...entry, seq: toSeqNum(entry.seq) }));

describe('retention with range tombstones', () => {
  it('drops versions a range tombstone hides in the same stripe', () => {
    const filter = new RetentionFilter([], false, { rangeTombstones: tombstones(['a', 'c', 10]) });
    expect(decideAll(filter, [put('b', 12), put('b', 8), put('b', 3), put('c', 4)])).toEqual(['keep', 'drop-version', 'drop-version', 'keep']);
  });

  it('keeps what a snapshot below the tombstone still reads', () => {
    // Snapshot 5 does not see tombstone 10, so it reads put@3.
    const filter = new RetentionFilter([5], false, { rangeTombstones: tombstones(['a', 'c', 10]) });
    expect(decideAll(filter, [put('b', 8), put('b', 3), put('b', 2)])).toEqual(['drop-version', 'keep', 'drop-version']);
  });

  it('ignores tombstones that do not cover the key or are older than the version', () => {
    const filter = new RetentionFilter([], true, { rangeTombstones: tombstones(['m', undefined, 10], ['a', 'b', 3]) });
    expect(decideAll(filter, [put('a', 5), put('l', 1), put('m', 11)])).toEqual(['keep', 'keep', 'keep']);
  });
});

describe('retention with expiring entries', () => {
  it('turns an expired put into a tombstone above the bottom and drops it at the bottom', () => {
    expect(decideAll(new RetentionFilter([], false, { nowMs: 1000 }), [expiring('k', 5, 1000), put('k', 2)])).toEqual(['keep-as-tombstone', 'drop-version']);
    expect(decideAll(new RetentionFilter([], true, { nowMs: 1000 }), [expiring('k', 5, 999), put('k', 2)])).toEqual(['drop-tombstone', 'drop-version']);
  });

  it('keeps an entry that has not expired yet, and every expiring entry when no time is given', () => {
    expect(decideAll(new RetentionFilter([], true, { nowMs: 1000 }), [expiring('k', 5, 1001)])).toEqual(['keep']);
    expect(decideAll(new RetentionFilter([], true), [expiring('k', 5, 0)])).toEqual(['keep']);
  });

  it('keeps the version an older snapshot reads under an expired put', () => {
    expect(decideAll(new RetentionFilter([3], true, { nowMs: 50 }), [expiring('k', 5, 10), put('k', 2), del('k', 1)])).toEqual(['keep-as-tombstone', 'keep', 'drop-version']);
  });
});

describe('planRangeTombstoneCleanup', () => {
  const file = (fileNumber: number, level: number, smallest: string, largest: string, seqMin: number, seqMax: number): TableFileMeta => ({
    level, fileNumber, sizeBytes: 4096, smallestKey: key(smallest), largestKey: key(largest), seqMin, seqMax, entryCount: 10, tombstoneCount: 0,
  });
  const versionWith = (files: TableFileMeta[], list: [string, string | undefined, number][]): Version =>
    Version.empty().apply({
      nextFileNumber: 100,
      lastSequence: 1000,
      addedFiles: files,
      addedRangeTombstones: list.map(([start, end, seq]) => ({ start: key(start), end: end === undefined ? undefined : key(end), seq: toSeqNum(seq) })),
    });

  it('removes files wholly hidden by a tombstone, then the tombstone once nothing older overlaps it', () => {
    const version = versionWith([file(1, 1, 'b', 'c', 1, 50), file(2, 1, 'x', 'y', 1, 50)], [['a', 'd', 60]]);
    expect(planRangeTombstoneCleanup(version, [])).toEqual({ removedFiles: [{ level: 1, fileNumber: 1 }], removedRangeTombstones: [60] });
  });

  it('keeps a file a snapshot reads and one with newer entries, and keeps their tombstone', () => {
    const version = versionWith([file(1, 1, 'b', 'c', 10, 50), file(2, 2, 'e', 'f', 1, 70)], [['a', undefined, 60]]);
    expect(planRangeTombstoneCleanup(version, [20])).toBeUndefined();
    expect(planRangeTombstoneCleanup(version, [])).toEqual({ removedFiles: [{ level: 1, fileNumber: 1 }] });
  });

  it('keeps a file that reaches past the tombstone end (the end is exclusive)', () => {
    const version = versionWith([file(1, 1, 'b', 'd', 1, 50)], [['a', 'd', 60]]);
    expect(planRangeTombstoneCleanup(version, [])).toBeUndefined();
  });

  it('removes a tombstone when only newer files overlap it', () => {
    const version = versionWith([file(1, 0, 'a', 'z', 70, 80)], [['a', 'd', 60]]);
    expect(planRangeTombstoneCleanup(version, [])).toEqual({ removedRangeTombstones: [60] });
  });
});
