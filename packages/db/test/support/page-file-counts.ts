/** Counting a database's page files: on disk, and per level as its stats report them. */
import type { MemoryVfs } from '@kv/vfs';
import type { DB } from '../../src/index.js';

/** The page files in `/db`. */
export const pageFiles = async (vfs: MemoryVfs): Promise<string[]> => (await vfs.list('/db')).filter((name) => name.endsWith('.sst'));
export const level0Files = (db: DB): number => db.stats().levels[0]?.files ?? 0;
export const totalFiles = (db: DB): number => db.stats().levels.reduce((sum, level) => sum + level.files, 0);
