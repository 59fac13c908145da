import { EntryKind, EntryPacker, toSeqNum } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { setImmediate } from 'node:timers';
import { describe, expect, it } from 'vitest';
import { BuildPriority, outputFileCountFor, runCompaction, runTableBuild } from '../src/index.js';
import type { CompactionJobInput, CompactionPlan } from '../src/index.js';
import { DIR, buildInput, put, readFiles, sortEntries } from './helpers.js';
import type { ModelEntry } from './helpers.js';

const BUILD = { pageSizeBytes: 1024, compression: 'none' as const, bloomBitsPerKey: 10 };
const key = (i: number): string => `key${String(i).padStart(6, '0')}`;
const turns = async (count: number): Promise<void> => {
  for (let i = 0; i < count; i++) await new Promise<void>((resolve) => setImmediate(resolve));
};

/** Two level-0 files of `perFile` entries each, interleaved keys, and the job that merges them into level 1. */
async function level0Job(perFile: number): Promise<{ vfs: MemoryVfs; job: CompactionJobInput; entries: ModelEntry[] }> {
  const vfs = new MemoryVfs();
  await vfs.mkdir(DIR);
  await vfs.syncDir('/');
  const entries = Array.from({ length: 2 * perFile }, (_, i) => put(key(i), i + 1, `value-${i}`));
  const files = [
    await buildInput(vfs, { fileNumber: 1, level: 0, entries: entries.filter((_, i) => i % 2 === 0) }),
    await buildInput(vfs, { fileNumber: 2, level: 0, entries: entries.filter((_, i) => i % 2 === 1) }),
  ];
  await vfs.syncDir(DIR);
  const plan: CompactionPlan = { inputLevel: 0, outputLevel: 1, inputs: files, overlaps: [], bottommost: false, reason: 'level0' };
  const targetFileSizeBytes = 1 << 20;
  const job: CompactionJobInput = {
    dir: DIR,
    plan,
    outputFileNumbers: Array.from({ length: outputFileCountFor(plan, targetFileSizeBytes) }, (_, i) => 100 + i),
    snapshots: [],
    build: BUILD,
    targetFileSizeBytes,
  };
  return { vfs, job, entries };
}

function packedRun(count: number): ReturnType<EntryPacker['entries']> {
  const packer = new EntryPacker(count);
  for (let i = 0; i < count; i++) {
    packer.add({ key: new TextEncoder().encode(key(i)), seq: toSeqNum(i + 1), kind: EntryKind.Put, value: new TextEncoder().encode(`v${i}`) });
  }
  return packer.entries();
}

describe('table builds go ahead of compactions given the same BuildPriority', () => {
  it('reports no build running, then one until every started build has ended', async () => {
    const priority = new BuildPriority();
    expect(priority.buildsFinished()).toBeUndefined();
    const endFirst = priority.startBuild();
    const endSecond = priority.startBuild();
    const finished = priority.buildsFinished();
    expect(finished).toBeInstanceOf(Promise);
    expect(priority.buildsFinished()).toBe(finished);
    let settled = false;
    void finished?.then(() => {
      settled = true;
    });
    endFirst();
    // Ending the same build twice must not count as the other one ending.
    endFirst();
    await turns(2);
    expect(settled).toBe(false);
    expect(priority.buildsFinished()).toBe(finished);
    endSecond();
    await turns(1);
    expect(settled).toBe(true);
    expect(priority.buildsFinished()).toBeUndefined();
  });

  it('a compaction pauses at its next yield while a build runs, and finishes the same afterwards', async () => {
    // 2 × 6,000 entries: the merge yields every 4,096, and would finish within a few turns.
    const { vfs, job, entries } = await level0Job(6000);
    const priority = new BuildPriority();
    const endBuild = priority.startBuild();
    let done = false;
    const compaction = runCompaction(vfs, job, priority).then((result) => {
      done = true;
      return result;
    });
    try {
      await turns(200);
      expect(done).toBe(false);
    } finally {
      endBuild();
    }
    const result = await compaction;
    expect(result.entriesOut).toBe(entries.length);
    expect(await readFiles(vfs, result.added)).toEqual(sortEntries(entries));
  });

  it('a compaction is not held back by no build, nor by a build of another BuildPriority', async () => {
    for (const withOtherBuild of [false, true]) {
      const { vfs, job } = await level0Job(6000);
      // Another database's flush counts in that database's own BuildPriority.
      const other = new BuildPriority();
      const endOther = withOtherBuild ? other.startBuild() : undefined;
      let done = false;
      const compaction = runCompaction(vfs, job, new BuildPriority()).then(() => {
        done = true;
      });
      try {
        await turns(200);
        expect(done).toBe(true);
      } finally {
        endOther?.();
      }
      await compaction;
    }
  });

  it('runTableBuild counts as running from its call until it settles, also when it fails', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir(DIR);
    const priority = new BuildPriority();
    const built = runTableBuild(vfs, { path: `${DIR}/000007.sst`, build: BUILD, snapshots: [], entries: packedRun(100) }, priority);
    expect(priority.buildsFinished()).toBeInstanceOf(Promise);
    await built;
    expect(priority.buildsFinished()).toBeUndefined();

    const failed = runTableBuild(vfs, { path: '/missing/000008.sst', build: BUILD, snapshots: [], entries: packedRun(100) }, priority);
    expect(priority.buildsFinished()).toBeInstanceOf(Promise);
    await expect(failed).rejects.toMatchObject({ code: expect.any(String) });
    expect(priority.buildsFinished()).toBeUndefined();
  });
});
