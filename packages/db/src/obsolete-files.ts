/**
 * Removes what the live version no longer needs, after the manifest edit that made it so is
 * durable: WAL segments older than the active one, page files the version does not name,
 * manifests other than the live one, and temporary files. Files of unknown names are left
 * alone: they are not the engine's.
 */
import type { Vfs } from '@kv/vfs';
import type { Version } from '@kv/manifest';
import { classifyFileName } from './file-names.js';

export async function removeObsoleteFiles(options: { vfs: Vfs; dir: string; version: Version; activeWal: number; manifestNumber: number }): Promise<string[]> {
  const { vfs, dir, version } = options;
  const live = new Set(version.files().map((file) => file.fileNumber));
  const removed: string[] = [];
  for (const name of await vfs.list(dir)) {
    const file = classifyFileName(name);
    const obsolete =
      (file.kind === 'log' && file.number !== undefined && file.number < options.activeWal) ||
      (file.kind === 'table' && file.number !== undefined && !live.has(file.number)) ||
      (file.kind === 'manifest' && file.number !== options.manifestNumber) ||
      file.kind === 'temp';
    if (!obsolete) continue;
    // Best effort: a file that cannot be removed now is still obsolete at the next open.
    const gone = await vfs.unlink(`${dir}/${name}`).then(() => true, () => false);
    if (gone) removed.push(name);
  }
  return removed;
}
