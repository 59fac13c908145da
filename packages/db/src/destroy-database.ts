/**
 * Removes a database: takes its lock (so an open database is LOCKED, not destroyed under its
 * owner), deletes every file the engine names (WAL segments, page files, manifests, CURRENT,
 * temporary files) and then LOCK, and removes the directory if nothing else is left in it.
 * Files with other names are not the engine's and are kept. A missing directory is a no-op.
 */
import type { Vfs } from '@kv/vfs';
import { classifyFileName } from './file-names.js';
import { LOCK_FILE_NAME } from './format.js';

export async function destroyDatabase(vfs: Vfs, dir: string): Promise<void> {
  const stat = await vfs.stat(dir);
  if (stat === undefined || !stat.isDirectory) return;
  const lock = await vfs.lock(`${dir}/${LOCK_FILE_NAME}`);
  try {
    for (const name of await vfs.list(dir)) {
      const kind = classifyFileName(name).kind;
      if (kind !== 'other' && kind !== 'lock') await vfs.unlink(`${dir}/${name}`);
    }
  } finally {
    await lock.release();
  }
  if ((await vfs.stat(`${dir}/${LOCK_FILE_NAME}`)) !== undefined) await vfs.unlink(`${dir}/${LOCK_FILE_NAME}`);
  await vfs.syncDir(dir);
  if ((await vfs.list(dir)).length === 0) await vfs.rmdir(dir);
}
