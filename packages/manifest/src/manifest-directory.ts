/**
 * Directory scans `Manifest.open` needs: choosing a number no file uses, and removing
 * manifests CURRENT no longer names.
 */
import type { Vfs } from '@kv/vfs';
import { posix } from 'node:path';
import { parseManifestFileName, usedFileNumber } from './file-names.js';

/**
 * A number for a new manifest: at least `nextFileNumber`, and above the number of every file
 * in `dir` the counter could have produced. A WAL segment created after the last edit was
 * synced carries a number the manifest never recorded; skipping past it keeps names unique.
 */
export async function freshFileNumber(vfs: Vfs, dir: string, nextFileNumber: number): Promise<number> {
  let number = nextFileNumber;
  for (const name of await vfs.list(dir)) {
    const used = usedFileNumber(name);
    if (used !== undefined && used >= number) number = used + 1;
  }
  return number;
}

/**
 * Removes every manifest except `keepNumber`. Call only once CURRENT naming `keepNumber` is
 * durable. Best effort: a manifest left behind is removed by the next open.
 */
export async function removeStaleManifests(vfs: Vfs, dir: string, keepNumber: number): Promise<void> {
  for (const name of await vfs.list(dir)) {
    const number = parseManifestFileName(name);
    if (number === undefined || number === keepNumber) continue;
    await vfs.unlink(posix.join(dir, name)).catch(() => undefined);
  }
}
