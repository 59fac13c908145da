import { join } from 'node:path';
import { EntryKind, EntryPacker, toSeqNum } from '@kv/base';
import type { PackedEntries } from '@kv/base';
import { nodeVfs } from '@kv/vfs';
import { describe, expect, it } from 'vitest';
import { CompactionWorkerPool, runCompaction } from '../src/index.js';
import type { CompactionJobInput, CompactionResult, TableBuildJobInput } from '../src/index.js';
import type { TableFileMeta } from '@kv/manifest';
import { buildInput, del, put, readFiles } from './helpers.js';
import { useWorkerPoolInTempDir } from './worker-pool-fixture.js';

const key = (i: number): string => `key${String(i).padStart(5, '0')}`;

async function makeDatabase(dir: string): Promise<TableFileMeta[]> {
  const first = Array.from({ length: 2000 }, (_, i) => put(key(i), i + 1, `first-${i}`));
  const second = Array.from({ length: 1000 }, (_, i) => (i % 5 === 0 ? del(key(i * 2), 3000 + i) : put(key(i * 2), 3000 + i, `second-${i}`)));
  return [await buildInput(nodeVfs, { dir, fileNumber: 1, level: 0, entries: first }), await buildInput(nodeVfs, { dir, fileNumber: 2, level: 0, entries: second })];
}

function jobFor(dir: string, inputs: TableFileMeta[], outputFileNumbers = [10, 11, 12, 13, 14, 15, 16, 17]): CompactionJobInput {
  return {
    dir,
    plan: { inputLevel: 0, outputLevel: 1, inputs, overlaps: [], bottommost: true, reason: 'level0' },
    outputFileNumbers,
    snapshots: [1500],
    build: { pageSizeBytes: 4096, compression: 'lz4', bloomBitsPerKey: 10 },
    targetFileSizeBytes: 16384,
  };
}

function withoutTime(result: CompactionResult): Omit<CompactionResult, 'durationMs'> {
  const { durationMs, ...rest } = result;
  expect(durationMs).toBeGreaterThanOrEqual(0);
  return rest;
}

describe('CompactionWorkerPool', () => {
  const { pool, newDir } = useWorkerPoolInTempDir('kv-compaction-');

  it('runs a job on the real file system with the same result and bytes as inline', async () => {
    const inlineDir = await newDir();
    const workerDir = await newDir();
    const inputs = await makeDatabase(inlineDir);
    expect(await makeDatabase(workerDir)).toEqual(inputs);
    const inline = await runCompaction(nodeVfs, jobFor(inlineDir, inputs));
    const threaded = await pool.run(jobFor(workerDir, inputs));
    expect(withoutTime(threaded)).toEqual(withoutTime(inline));
    expect(threaded.added.length).toBeGreaterThan(1);
    expect(await readFiles(nodeVfs, threaded.added, workerDir)).toEqual(await readFiles(nodeVfs, inline.added, inlineDir));
    for (const file of threaded.added) {
      const name = `${String(file.fileNumber).padStart(6, '0')}.sst`;
      expect(Buffer.from(await nodeVfs.readFile(join(workerDir, name))).equals(Buffer.from(await nodeVfs.readFile(join(inlineDir, name))))).toBe(true);
    }
  });

  it('rejects with a KvError whose code survives the thread boundary', async () => {
    const dir = await newDir();
    const inputs = await makeDatabase(dir);
    const missing = { ...inputs[0], fileNumber: 99 } as TableFileMeta;
    await expect(pool.run(jobFor(dir, [missing]))).rejects.toMatchObject({ name: 'KvError', code: 'IO_ERROR', osCode: 'ENOENT' });
    await expect(pool.run(jobFor(dir, inputs, [20]))).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await nodeVfs.list(dir)).toEqual(['000001.sst', '000002.sst']);
    // The pool still works after failed jobs, several at a time.
    const results = await Promise.all([pool.run(jobFor(dir, inputs.slice(0, 1), [30, 31, 32, 33, 34, 35])), pool.run(jobFor(dir, inputs.slice(1), [40, 41, 42, 43]))]);
    expect(results.map((result) => result.entriesIn)).toEqual([2000, 1000]);
  });

  it('rejects jobs with NOT_OPEN after close', async () => {
    const closed = new CompactionWorkerPool();
    await closed.close();
    await expect(closed.run(jobFor(await newDir(), []))).rejects.toMatchObject({ code: 'NOT_OPEN' });
  });
});

/** `count` puts (`k00000`…) packed as a flush packs a memtable. */
function packPuts(count: number): PackedEntries {
  const packer = new EntryPacker(count);
  for (let i = 0; i < count; i++) {
    packer.add({ key: Buffer.from(`k${String(i).padStart(5, '0')}`), seq: toSeqNum(count - i), kind: EntryKind.Put, value: Buffer.from(`value-${i}`) });
  }
  return packer.entries();
}

function buildJob(dir: string, fileNumber: number, count: number): TableBuildJobInput {
  return { path: join(dir, `${String(fileNumber).padStart(6, '0')}.sst`), build: { pageSizeBytes: 4096 }, snapshots: [], entries: packPuts(count) };
}

describe('CompactionWorkerPool with several jobs per thread', () => {
  const { pool, newDir } = useWorkerPoolInTempDir('kv-shared-pool-', { threads: 1, jobsPerThread: 2 });

  it('runs compactions and table builds at once in one worker with the results of inline runs', async () => {
    const workerDir = await newDir();
    const inlineDir = await newDir();
    const inputs = await makeDatabase(workerDir);
    await makeDatabase(inlineDir);
    const compactions = [jobFor(workerDir, inputs.slice(0, 1), [30, 31, 32, 33, 34, 35]), jobFor(workerDir, inputs.slice(1), [40, 41, 42, 43])];
    const builds = [buildJob(workerDir, 50, 3000), buildJob(workerDir, 51, 10), buildJob(workerDir, 52, 800)];
    const [compacted, built] = await Promise.all([Promise.all(compactions.map((job) => pool.run(job))), Promise.all(builds.map((job) => pool.buildTable(job)))]);

    const inlineCompacted = [
      await runCompaction(nodeVfs, jobFor(inlineDir, inputs.slice(0, 1), [30, 31, 32, 33, 34, 35])),
      await runCompaction(nodeVfs, jobFor(inlineDir, inputs.slice(1), [40, 41, 42, 43])),
    ];
    expect(compacted.map(withoutTime)).toEqual(inlineCompacted.map(withoutTime));
    expect(built.map((properties) => properties.entryCount)).toEqual([3000, 10, 800]);
    for (const result of compacted) expect(await readFiles(nodeVfs, result.added, workerDir)).toEqual(await readFiles(nodeVfs, result.added, inlineDir));
  });

  it('rejects a thread or job count out of range with INVALID_ARGUMENT', () => {
    for (const options of [{ jobsPerThread: 0 }, { jobsPerThread: 17 }, { jobsPerThread: 1.5 }, { threads: 0 }]) {
      expect(() => new CompactionWorkerPool(options)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

describe('CompactionWorkerPool with an idle timeout', () => {
  const { pool, newDir } = useWorkerPoolInTempDir('kv-idle-pool-', { threads: 1, jobsPerThread: 2, idleMs: 20 });

  it('stops a worker left idle, and starts a new one for the next job', async () => {
    // Goal: an idle worker gives its isolate back, and the pool still runs every later job.
    // Strategy: a build, then wait (polling, no time asserted) until the worker is gone; two
    // builds at once on the new worker; once it stopped again, one more build.
    // Invariants: each build's entries come back; the worker count drops to 0 and back to 1.
    const dir = await newDir();
    expect(pool.workerCount).toBe(0);
    expect((await pool.buildTable(buildJob(dir, 70, 100))).entryCount).toBe(100);
    expect(pool.workerCount).toBe(1);
    await until(() => pool.workerCount === 0);
    const both = await Promise.all([pool.buildTable(buildJob(dir, 71, 50)), pool.buildTable(buildJob(dir, 72, 60))]);
    expect(both.map((properties) => properties.entryCount)).toEqual([50, 60]);
    expect(pool.workerCount).toBe(1);
    await until(() => pool.workerCount === 0);
    expect((await pool.buildTable(buildJob(dir, 73, 70))).entryCount).toBe(70);
  });

  it('prestart starts one worker ahead of the next job, which stops again if no job comes', async () => {
    // Goal: a prestarted worker takes the next job, and an unused one gives its isolate back.
    // Invariants: prestart adds a worker only when none runs; the worker count returns to 0
    // after the idle timeout with no job; a job after a prestart runs on that one worker.
    const dir = await newDir();
    await until(() => pool.workerCount === 0);
    pool.prestart();
    expect(pool.workerCount).toBe(1);
    pool.prestart();
    expect(pool.workerCount).toBe(1);
    await until(() => pool.workerCount === 0);
    pool.prestart();
    expect((await pool.buildTable(buildJob(dir, 74, 40))).entryCount).toBe(40);
    expect(pool.workerCount).toBe(1);
    await until(() => pool.workerCount === 0);
  });

  it('prestart after close starts nothing', async () => {
    const closed = new CompactionWorkerPool({ idleMs: 20 });
    await closed.close();
    closed.prestart();
    expect(closed.workerCount).toBe(0);
  });

  it('rejects an idle timeout that is not a positive integer with INVALID_ARGUMENT', () => {
    for (const idleMs of [0, -1, 1.5, Number.NaN]) {
      expect(() => new CompactionWorkerPool({ idleMs })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
  });
});

/** Resolves once `condition` holds, checking every 10 ms (the test's own timeout bounds the wait). */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 10));
}

describe('CompactionWorkerPool queue order', () => {
  const { pool, newDir } = useWorkerPoolInTempDir('kv-pool-order-', { threads: 1, jobsPerThread: 1 });

  it('starts a waiting table build before waiting compactions', async () => {
    const dir = await newDir();
    const inputs = await makeDatabase(dir);
    const finished: string[] = [];
    const track = <T>(name: string, job: Promise<T>): Promise<T> => job.then((result) => (finished.push(name), result));
    // The first compaction takes the only slot; the second waits, and the build submitted after it goes first.
    await Promise.all([
      track('compaction 1', pool.run(jobFor(dir, inputs.slice(0, 1), [30, 31, 32, 33, 34, 35]))),
      track('compaction 2', pool.run(jobFor(dir, inputs.slice(1), [40, 41, 42, 43]))),
      track('build', pool.buildTable(buildJob(dir, 50, 100))),
      track('compaction 3', pool.run(jobFor(dir, inputs.slice(0, 1), [60, 61, 62, 63, 64, 65]))),
    ]);
    expect(finished).toEqual(['compaction 1', 'build', 'compaction 2', 'compaction 3']);
  });
});

describe('worker plumbing', () => {
  it('drops the parent export conditions from the worker flags and keeps the rest', async () => {
    const { workerExecArgv } = await import('../src/compaction-worker-pool.js');
    expect(workerExecArgv(['--require', 'x.cjs', '--conditions', '@kv/source', '-C', 'dev', '--conditions=node', '--enable-source-maps'])).toEqual(['--require', 'x.cjs', '--enable-source-maps']);
    // Regression: under `node --input-type=module -e …` every worker crashed (ERR_INPUT_TYPE_NOT_ALLOWED).
    expect(workerExecArgv(['--input-type=module', '-e', 'code()', '--max-old-space-size=512'])).toEqual(['--max-old-space-size=512']);
    expect(workerExecArgv(['--input-type', 'module', '--eval=code()', '-p', 'x', '--print', 'y', '-pe', 'z', '--trace-gc'])).toEqual(['--trace-gc']);
    // `-p` is a plain switch when an option follows it.
    expect(workerExecArgv(['-p', '--enable-source-maps', '-e', 'code()'])).toEqual(['--enable-source-maps']);
    expect(workerExecArgv(['-p', '--require', '/dev/null', '--trace-warnings', '-e', 'x'])).toEqual(['--require', '/dev/null', '--trace-warnings']);
    expect(workerExecArgv(['-p', '-e', 'code()'])).toEqual([]);
  });

  it('revives KvError codes, IoError errno names, and other errors by name', async () => {
    const { reviveError, serializeError } = await import('../src/worker-protocol.js');
    const { AssertionError, CorruptionError, IoError } = await import('@kv/base');
    expect(reviveError(serializeError(new CorruptionError('page 3', 'bad checksum')))).toMatchObject({ code: 'CORRUPTION', message: 'page 3: bad checksum' });
    expect(reviveError(serializeError(new IoError('open', 'missing', { osCode: 'ENOENT' })))).toMatchObject({ code: 'IO_ERROR', osCode: 'ENOENT' });
    const bug = reviveError(serializeError(new AssertionError('order')));
    expect(bug.name).toBe('AssertionError');
    expect('code' in bug).toBe(false);
  });
});
