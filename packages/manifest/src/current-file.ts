/**
 * CURRENT names the live manifest: its file name and one newline. It is replaced, never
 * edited in place: write `<n>.dbtmp`, fdatasync it, rename it over CURRENT, fsync the
 * directory. A crash at any step leaves either the old CURRENT or the new one, complete.
 */
import { CorruptionError, InvalidArgumentError } from '@kv/base';
import type { Vfs } from '@kv/vfs';
import { posix } from 'node:path';
import { currentTempFileName, parseManifestFileName } from './file-names.js';
import { CURRENT_BYTES_MAX, CURRENT_FILE_NAME, CURRENT_TERMINATOR } from './format.js';

/**
 * The name of the live manifest, or `undefined` when there is no CURRENT (no database).
 * CURRENT without its newline, with anything but one canonical manifest name, or longer than
 * `CURRENT_BYTES_MAX` is `CorruptionError`. Temporary files are never looked at.
 */
export async function readCurrent(vfs: Vfs, dir: string): Promise<string | undefined> {
  const path = posix.join(dir, CURRENT_FILE_NAME);
  const stat = await vfs.stat(path);
  if (stat === undefined) return undefined;
  const where = `manifest CURRENT ${path}`;
  if (stat.isDirectory) throw new CorruptionError(where, 'is a directory');
  if (stat.sizeBytes > CURRENT_BYTES_MAX) throw new CorruptionError(where, `${stat.sizeBytes} bytes, more than any valid CURRENT`);
  const bytes = await vfs.readFile(path);
  if (bytes.length > CURRENT_BYTES_MAX) throw new CorruptionError(where, `${bytes.length} bytes, more than any valid CURRENT`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error) {
    throw new CorruptionError(where, 'is not UTF-8 text', error);
  }
  if (!text.endsWith(CURRENT_TERMINATOR)) throw new CorruptionError(where, 'does not end with a newline (incomplete)');
  const name = text.slice(0, -CURRENT_TERMINATOR.length);
  if (parseManifestFileName(name) === undefined) throw new CorruptionError(where, `does not name a manifest: ${JSON.stringify(name)}`);
  return name;
}

/** Points CURRENT at `manifestName` durably (temp file, fdatasync, rename, directory fsync). */
export async function writeCurrent(vfs: Vfs, dir: string, manifestName: string): Promise<void> {
  const failure = await switchCurrent(vfs, dir, manifestName);
  if (failure !== undefined) throw failure.error;
}

/**
 * How a CURRENT switch failed. `renamed: false`: CURRENT was not touched and the temporary
 * file is gone (best effort). `renamed: true`: the rename happened but the directory fsync
 * failed, so after a power loss CURRENT may name either manifest.
 */
export interface CurrentSwitchFailure {
  renamed: boolean;
  error: unknown;
}

/** `writeCurrent` that reports how far it got instead of throwing. */
export async function switchCurrent(vfs: Vfs, dir: string, manifestName: string): Promise<CurrentSwitchFailure | undefined> {
  const number = parseManifestFileName(manifestName);
  if (number === undefined) throw new InvalidArgumentError('writeCurrent', `${JSON.stringify(manifestName)} is not a manifest file name`);
  const tempPath = posix.join(dir, currentTempFileName(number));
  try {
    await writeSynced(vfs, tempPath, new TextEncoder().encode(`${manifestName}${CURRENT_TERMINATOR}`));
    await vfs.rename(tempPath, posix.join(dir, CURRENT_FILE_NAME));
  } catch (error) {
    // Best effort: a leftover temporary file is harmless (the engine deletes temporaries on open).
    await vfs.unlink(tempPath).catch(() => undefined);
    return { renamed: false, error };
  }
  try {
    await vfs.syncDir(dir);
  } catch (error) {
    return { renamed: true, error };
  }
  return undefined;
}

/** Writes `data` as the whole content of `path` and fdatasyncs it. */
async function writeSynced(vfs: Vfs, path: string, data: Uint8Array): Promise<void> {
  const file = await vfs.open(path, { create: true });
  try {
    // A leftover from a crashed attempt may be longer than the new content.
    await file.truncate(0);
    await file.write({ data, position: 0 });
    await file.sync();
  } finally {
    await file.close();
  }
}
