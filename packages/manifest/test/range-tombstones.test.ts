/**
 * Range tombstones in the manifest: the version-2 edit fields, how a version applies them,
 * and the golden file `test/fixtures/v2-range-tombstone-edit.bin` (written once if missing,
 * never regenerated).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { isKvError, toSeqNum } from '@kv/base';
import { describe, expect, test } from 'vitest';
import { Version, decodeVersionEdit, encodeVersionEdit } from '../src/index.js';
import type { VersionEdit } from '../src/index.js';
import { key } from './helpers.js';

const FIXTURE = new URL('./fixtures/v2-range-tombstone-edit.bin', import.meta.url);
const EDIT: VersionEdit = {
  logNumber: 9,
  lastSequence: 120,
  removedRangeTombstones: [17],
  addedRangeTombstones: [
    { start: key('user:'), end: key('user;'), seq: toSeqNum(118) },
    { start: key('z'), end: undefined, seq: toSeqNum(120) },
  ],
};

describe('range tombstones in version edits', () => {
  test('golden edit exists (written once if missing, never regenerated)', () => {
    if (!existsSync(FIXTURE)) writeFileSync(FIXTURE, encodeVersionEdit(EDIT));
    expect(existsSync(FIXTURE)).toBe(true);
  });

  test('golden edit decodes to exactly its fields and is reproduced byte for byte', () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE));
    expect(bytes[0]).toBe(2);
    expect(decodeVersionEdit(bytes, 'fixture')).toEqual(EDIT);
    expect(encodeVersionEdit(EDIT)).toEqual(bytes);
  });

  test('an edit without tombstones stays version 1', () => {
    expect(encodeVersionEdit({ logNumber: 3 })[0]).toBe(1);
  });

  test('a version adds, keeps, snapshots and removes tombstones', () => {
    const start = Version.empty().apply({ nextFileNumber: 10 });
    const added = start.apply({ addedRangeTombstones: EDIT.addedRangeTombstones ?? [] });
    expect(added.rangeTombstones.map((t) => t.seq)).toEqual([118, 120]);
    expect(added.rangeTombstoneIndex.coveringSeq(key('user:7'), 200)).toBe(118);
    expect(added.rangeTombstoneIndex.coveringSeq(key('zz'), 119)).toBe(0);
    const rebuilt = Version.empty().apply(added.snapshot());
    expect(rebuilt.rangeTombstones).toEqual(added.rangeTombstones);
    const removed = added.apply({ removedRangeTombstones: [118] });
    expect(removed.rangeTombstones.map((t) => t.seq)).toEqual([120]);
    expect(start.rangeTombstones).toEqual([]);
  });

  test('removing an absent tombstone or adding a present one does not apply', () => {
    const version = Version.empty().apply({ addedRangeTombstones: [{ start: key('a'), end: key('b'), seq: toSeqNum(5) }] });
    expect(() => version.apply({ removedRangeTombstones: [6] })).toThrow(/not in the version/);
    expect(() => version.apply({ addedRangeTombstones: [{ start: key('c'), end: undefined, seq: toSeqNum(5) }] })).toThrow(/already in the version/);
    let error: unknown;
    try {
      version.apply({ removedRangeTombstones: [6] }, { where: 'MANIFEST-000001' });
    } catch (caught) {
      error = caught;
    }
    expect(isKvError(error, 'CORRUPTION')).toBe(true);
  });
});
