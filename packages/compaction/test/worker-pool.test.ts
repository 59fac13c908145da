import { join } from 'node:path';
import { nodeVfs } from '@kv/vfs';
import { describe, expect, it } from 'vitest';
import { CompactionWorkerPool, runCompaction } from '../src/index.js';
import type { CompactionJobInput, CompactionResult } from '../src/index.js';
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
