/**
 * The database every misuse row starts from: acknowledged writes in a flushed page file and
 * in the memtable, a point delete and a range delete, with the model of what it holds.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryVfs, nodeVfs } from '@kv/vfs';
import type { Vfs } from '@kv/vfs';
import { DB } from '../../src/index.js';
import type { BatchOp, DbOptions } from '../../src/index.js';
import { toModelOp } from './batch-ops.js';
import { SortedModel } from './sorted-model.js';

export const pad = (i: number): string => String(i).padStart(3, '0');
export const seedKey = (i: number): string => `seed:${pad(i)}`;
const seedValue = (i: number): string => `seed value ${i} ${'x'.repeat(80)}`;

export const SEED_OPTIONS: DbOptions = {
  memtableSize: 4096,
  compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 16 * 1024, targetFileSizeBytes: 4096 },
};

export interface MisuseContext {
  /** The seeded database; already closed when the row runs `when: 'closed'`. */
  db: DB;
  vfs: Vfs;
  dir: string;
  /** An empty directory beside the database (same file system) for rows that need paths of their own. */
  scratch: string;
  /** A real temporary directory, made on first use, for rows that need real paths. */
  temp: () => string;
  /** The options the database is (re)opened with, including the vfs. */
  options: DbOptions;
  /** What the database must hold; rows that write on purpose apply their writes here. */
  model: SortedModel;
}

/** Opens a database in `dir` with acknowledged writes in a page file and in the memtable. */
export async function seed(fs: 'memory' | 'disk'): Promise<MisuseContext & { cleanup: () => void }> {
  let root: string | undefined;
  const temp = (): string => (root ??= mkdtempSync(join(tmpdir(), 'kv-misuse-')));
  const cleanup = (): void => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  };
  let vfs: Vfs;
  let dir: string;
  let scratch: string;
  if (fs === 'memory') {
    vfs = new MemoryVfs();
    dir = '/db';
    scratch = '/scratch';
    await vfs.mkdir(scratch, { recursive: true });
  } else {
    vfs = nodeVfs;
    dir = join(temp(), 'db');
    scratch = join(temp(), 'scratch');
    mkdirSync(scratch);
  }
  const options: DbOptions = fs === 'memory' ? { ...SEED_OPTIONS, vfs } : SEED_OPTIONS;
  const model = new SortedModel();
  const db = await DB.open(dir, options);
  const write = async (ops: BatchOp[]): Promise<void> => {
    await db.write(ops);
    model.apply(ops.map(toModelOp));
  };
  await write(Array.from({ length: 40 }, (_, i) => ({ type: 'put', key: seedKey(i), value: seedValue(i) })));
  await db.flush();
  for (let i = 40; i < 50; i++) await write([{ type: 'put', key: seedKey(i), value: seedValue(i) }]);
  await write([{ type: 'del', key: seedKey(5) }]);
  await write([{ type: 'delRange', start: seedKey(30), end: seedKey(35) }]);
  return { db, vfs, dir, scratch, temp, options, model, cleanup };
}
