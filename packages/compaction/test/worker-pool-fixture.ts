import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nodeVfs } from '@kv/vfs';
import { afterAll, beforeAll } from 'vitest';
import { CompactionWorkerPool } from '../src/index.js';
import type { CompactionWorkerPoolOptions } from '../src/index.js';

export interface WorkerPoolFixture {
  /** A pool (by default of two workers), closed after the block. */
  readonly pool: CompactionWorkerPool;
  /** A new, empty directory under the block's temporary directory (removed after the block). */
  newDir(): Promise<string>;
}

/** Sets up, for the enclosing `describe` block, a worker pool and a temporary directory on the real file system. */
export function useWorkerPoolInTempDir(prefix: string, options: CompactionWorkerPoolOptions = { threads: 2 }): WorkerPoolFixture {
  const pool = new CompactionWorkerPool(options);
  let root = '';
  let counter = 0;
  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    await pool.close();
    await rm(root, { recursive: true, force: true });
  });
  return {
    pool,
    async newDir(): Promise<string> {
      const dir = join(root, `d${counter++}`);
      await nodeVfs.mkdir(dir);
      return dir;
    },
  };
}
