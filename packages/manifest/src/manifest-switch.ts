/**
 * Starting a new manifest: create `MANIFEST-<n>` holding one snapshot edit, sync it, then point
 * CURRENT at it. `Manifest.create`, `Manifest.open` and the rollover in `logAndApply` all go
 * through here, so the fsync order (FORMAT.md, "Switch protocol") lives in one place.
 */
import type { Vfs } from '@kv/vfs';
import { WalWriter } from '@kv/wal';
import { posix } from 'node:path';
import { switchCurrent } from './current-file.js';
import type { CurrentSwitchFailure } from './current-file.js';
import { encodeVersionEdit } from './encode-version-edit.js';
import { manifestFileName } from './file-names.js';
import type { Version } from './version.js';

export type ManifestSwitchOutcome = { writer: WalWriter } | { failure: CurrentSwitchFailure };

/**
 * Never throws for an I/O failure; it reports whether CURRENT may already name the new file.
 * When it may not (`renamed: false`), the new file has been removed (best effort). When it
 * may, both manifests are left in place: each holds the same state.
 */
export async function switchToNewManifest(
  vfs: Vfs,
  dir: string,
  options: { manifestNumber: number; version: Version },
): Promise<ManifestSwitchOutcome> {
  const name = manifestFileName(options.manifestNumber);
  const path = posix.join(dir, name);
  let writer: WalWriter;
  try {
    writer = await createSnapshotFile(vfs, { path, manifestNumber: options.manifestNumber, version: options.version });
  } catch (error) {
    return { failure: { renamed: false, error } };
  }
  const failure = await switchCurrent(vfs, dir, name);
  if (failure === undefined) return { writer };
  await writer.close().catch(() => undefined);
  if (!failure.renamed) await vfs.unlink(path).catch(() => undefined);
  return { failure };
}

/**
 * Creates the manifest file (the WAL writer syncs its header and the directory), appends the
 * snapshot edit and syncs it. On failure the file is removed (best effort) and the error
 * rethrown: nothing names it yet.
 */
async function createSnapshotFile(vfs: Vfs, options: { path: string; manifestNumber: number; version: Version }): Promise<WalWriter> {
  const snapshot = encodeVersionEdit(options.version.snapshot());
  const writer = await WalWriter.create(vfs, options.path, { logNumber: options.manifestNumber });
  try {
    await writer.append([snapshot]);
    await writer.sync();
  } catch (error) {
    await writer.close().catch(() => undefined);
    await vfs.unlink(options.path).catch(() => undefined);
    throw error;
  }
  return writer;
}
