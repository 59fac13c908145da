import { EntryKind, compareBytes, toSeqNum } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetentionFilter, runCompaction } from '../src/index.js';
import type { CompactionJobInput } from '../src/index.js';
import { DIR, SEQ_MAX, buildInput, del, put, readAt, readFiles, sortEntries } from './helpers.js';
import type { ModelEntry } from './helpers.js';

/**
 * The naive model of retention: a version is kept when some snapshot (or the implicit "now" at
 * infinity) reads it; in a bottommost compaction the version the oldest snapshot reads is also
 * dropped when it is a tombstone.
 */
function expectedKept(entries: readonly ModelEntry[], snapshots: readonly number[], bottommost: boolean): ModelEntry[] {
  const views = [...snapshots, SEQ_MAX];
  const kept = new Set<ModelEntry>();
  const keys = uniqueKeys(entries);
  for (const key of keys) {
    const versions = entries.filter((entry) => compareBytes(entry.key, key) === 0);
    for (const view of views) {
      const seen = readAt(versions, key, view);
      if (seen !== undefined) kept.add(seen);
    }
    const oldest = readAt(versions, key, views[0] ?? SEQ_MAX);
    if (bottommost && oldest !== undefined && oldest.kind === EntryKind.Delete) kept.delete(oldest);
  }
  return sortEntries([...kept]);
}

function uniqueKeys(entries: readonly ModelEntry[]): Uint8Array[] {
  const keys: Uint8Array[] = [];
  for (const entry of sortEntries(entries)) if (keys.every((key) => compareBytes(key, entry.key) !== 0)) keys.push(entry.key);
  return keys;
}

function decideAll(filter: RetentionFilter, entries: readonly ModelEntry[]): string[] {
  return entries.map((entry) => filter.decide({ ...entry, seq: toSeqNum(entry.seq) }));
}

function visible(entry: ModelEntry | undefined): string | undefined {
  return entry === undefined || entry.kind === EntryKind.Delete ? undefined : Buffer.from(entry.value).toString('hex');
}

const scenarioArbitrary = fc.record({
  versions: fc.uniqueArray(
    fc.record({ key: fc.constantFrom('a', 'b', 'c', 'dd', 'e'), seq: fc.integer({ min: 1, max: 120 }), del: fc.boolean(), size: fc.nat(40) }),
    { selector: (item) => item.seq, minLength: 1, maxLength: 80 },
  ),
  snapshots: fc.uniqueArray(fc.integer({ min: 0, max: 130 }), { maxLength: 6 }),
  withCurrent: fc.boolean(),
  bottommost: fc.boolean(),
  dealing: fc.array(fc.nat(2), { maxLength: 80 }),
});

type Scenario = typeof scenarioArbitrary extends fc.Arbitrary<infer T> ? T : never;

async function runScenario(scenario: Scenario): Promise<void> {
  const entries = scenario.versions.map((item) => (item.del ? del(item.key, item.seq) : put(item.key, item.seq, `${item.key}@${item.seq}:${'x'.repeat(item.size)}`)));
  const maxSeq = Math.max(...entries.map((entry) => entry.seq));
  const snapshots = [...new Set([...scenario.snapshots, ...(scenario.withCurrent ? [maxSeq] : [])])].sort((a, b) => a - b);
  const vfs = new MemoryVfs();
  await vfs.mkdir(DIR);
  const groups: ModelEntry[][] = [[], [], []];
  entries.forEach((entry, i) => groups[scenario.dealing[i] ?? 0]?.push(entry));
  const inputs = [];
  for (const [i, group] of groups.entries()) if (group.length > 0) inputs.push(await buildInput(vfs, { fileNumber: i + 1, level: 0, entries: group }));
  const input: CompactionJobInput = {
    dir: DIR,
    plan: { inputLevel: 0, outputLevel: 1, inputs, overlaps: [], bottommost: scenario.bottommost, reason: 'level0' },
    outputFileNumbers: Array.from({ length: 40 }, (_, i) => 100 + i),
    snapshots,
    build: { pageSizeBytes: 1024, compression: 'none', bloomBitsPerKey: 10 },
    targetFileSizeBytes: 4096,
  };
  const result = await runCompaction(vfs, input);
  const output = await readFiles(vfs, result.added);
  const expected = expectedKept(entries, snapshots, scenario.bottommost);
  expect(output.map((entry) => `${Buffer.from(entry.key)}@${entry.seq}/${entry.kind}`)).toEqual(expected.map((entry) => `${Buffer.from(entry.key)}@${entry.seq}/${entry.kind}`));
  expect(output.map((entry) => Buffer.from(entry.value).toString('hex'))).toEqual(expected.map((entry) => Buffer.from(entry.value).toString('hex')));
  expect(result.entriesIn).toBe(entries.length);
  expect(result.entriesOut).toBe(expected.length);
  expect(result.entriesIn).toBe(result.entriesOut + result.droppedVersions + result.droppedTombstones);
  for (const view of [...snapshots, SEQ_MAX]) {
    for (const key of uniqueKeys(entries)) {
      const before = readAt(entries, key, view);
      const after = readAt(output, key, view);
      if (scenario.bottommost) expect(visible(after), `${Buffer.from(key)} at ${view}`).toBe(visible(before));
      else expect(after === undefined ? undefined : [after.seq, after.kind]).toEqual(before === undefined ? undefined : [before.seq, before.kind]);
    }
  }
}

describe('retention', () => {
  it('keeps exactly what the naive model keeps, and every snapshot reads the same', async () => {
    // Goal: the retention rule (newest version per snapshot stripe; bottommost tombstones in
    // the oldest stripe dropped with everything older) as a whole compaction implements it.
    // Strategy: random versions of five keys (puts and deletes, unique seqs, values of varied
    // size) dealt to up to three level-0 input tables; random snapshot sets, sometimes with the
    // current seq; bottommost on and off; small pages and a 4 KiB target so outputs split.
    // Invariants: the outputs hold exactly the model's kept set in internal order; the counters
    // add up; at every snapshot and at "now", each key reads the same from the outputs as from
    // the inputs (the same entry when not bottommost, the same value-or-absent when bottommost).
    await fc.assert(fc.asyncProperty(scenarioArbitrary, runScenario), { numRuns: 150 });
  });

  it('drops a bottommost tombstone and everything under it when no snapshot needs them', () => {
    const filter = new RetentionFilter([], true);
    expect(decideAll(filter, [put('k', 9), del('k', 5), put('k', 2)])).toEqual(['keep', 'drop-version', 'drop-version']);
    const fresh = new RetentionFilter([], true);
    expect(decideAll(fresh, [del('k', 5), put('k', 2), put('m', 1)])).toEqual(['drop-tombstone', 'drop-version', 'keep']);
  });

  it('keeps a tombstone a younger snapshot reads while an older snapshot still sees the put below it', () => {
    // Snapshot 3 reads put@2; snapshot 10 reads del@5: both stay even at the bottom.
    const filter = new RetentionFilter([3, 10], true);
    expect(decideAll(filter, [del('k', 5), put('k', 2), put('k', 1)])).toEqual(['keep', 'keep', 'drop-version']);
  });

  it('keeps tombstones when the compaction is not bottommost', () => {
    const filter = new RetentionFilter([], false);
    expect(decideAll(filter, [del('k', 5), put('k', 2)])).toEqual(['keep', 'drop-version']);
  });

  it('follows the README worked example', () => {
    const history = [put('k', 12), del('k', 9), put('k', 7), put('k', 4), put('k', 2)];
    expect(decideAll(new RetentionFilter([5, 10], true), history)).toEqual(['keep', 'keep', 'drop-version', 'keep', 'drop-version']);
    expect(decideAll(new RetentionFilter([], true), history)).toEqual(['keep', 'drop-version', 'drop-version', 'drop-version', 'drop-version']);
    expect(decideAll(new RetentionFilter([], true), [del('k', 12), ...history.slice(1)])).toEqual(['drop-tombstone', 'drop-version', 'drop-version', 'drop-version', 'drop-version']);
  });

  it('rejects unsorted snapshots with INVALID_ARGUMENT', () => {
    expect(() => new RetentionFilter([5, 3], true)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });
});
