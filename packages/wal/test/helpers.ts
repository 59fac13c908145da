/**
 * Shared test helpers: build a log in a MemoryVfs, read it back in a chosen mode, and damage
 * files in one line each.
 */
import { MemoryVfs } from '@kv/vfs';
import { WalReader, WalWriter } from '../src/index.js';
import type { WalPosition, WalRecord, WalRecoveryMode, WalReplayReport } from '../src/index.js';

export const LOG_PATH = '/db/000007.log';
export const LOG_NUMBER = 7;

export interface WrittenLog {
  vfs: MemoryVfs;
  positions: WalPosition[];
  sizeBytes: number;
}

/** Writes `batches` (each one `appendSync`) to a fresh log and returns the vfs holding it. */
export async function writeLog(batches: readonly (readonly Uint8Array[])[], logNumber = LOG_NUMBER): Promise<WrittenLog> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db', { recursive: true });
  await vfs.syncDir('/');
  const writer = await WalWriter.create(vfs, LOG_PATH, { logNumber });
  const positions: WalPosition[] = [];
  for (const batch of batches) positions.push(...writer.appendSync(batch));
  await writer.sync();
  const sizeBytes = writer.sizeBytes;
  await writer.close();
  return { vfs, positions, sizeBytes };
}

export interface ReadOutcome {
  records: WalRecord[];
  report: WalReplayReport;
}

/** Reads every record of the log at `path`; errors propagate. */
export async function readLog(
  vfs: MemoryVfs,
  options: { mode?: WalRecoveryMode; logNumber?: number; path?: string; liveWriter?: boolean } = {},
): Promise<ReadOutcome> {
  const reader = await WalReader.open(vfs, options.path ?? LOG_PATH, {
    logNumber: options.logNumber ?? LOG_NUMBER,
    mode: options.mode ?? 'tolerateCorruptedTail',
    liveWriter: options.liveWriter === true,
  });
  try {
    const records: WalRecord[] = [];
    for await (const record of reader) records.push(record);
    return { records, report: reader.report };
  } finally {
    await reader.close();
  }
}

/** Reads like `readLog` but returns the error instead of throwing it. */
export async function readLogOrError(
  vfs: MemoryVfs,
  options: { mode?: WalRecoveryMode; logNumber?: number; liveWriter?: boolean } = {},
): Promise<ReadOutcome | { error: unknown }> {
  try {
    return await readLog(vfs, options);
  } catch (error) {
    return { error };
  }
}

/** The current bytes of the log file. */
export async function logBytes(vfs: MemoryVfs, path = LOG_PATH): Promise<Uint8Array> {
  return vfs.readFile(path);
}

/** Replaces the log file's content with `bytes`. */
export async function replaceLog(vfs: MemoryVfs, bytes: Uint8Array, path = LOG_PATH): Promise<void> {
  const file = await vfs.open(path, { write: true });
  await file.truncate(0);
  await file.write({ data: bytes, position: 0 });
  await file.close();
}

/** A new vfs whose log file holds exactly `bytes`. */
export async function vfsWithLog(bytes: Uint8Array, path = LOG_PATH): Promise<MemoryVfs> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db', { recursive: true });
  await vfs.syncDir('/');
  const file = await vfs.open(path, { create: true });
  await file.write({ data: bytes, position: 0 });
  await file.close();
  return vfs;
}

/** XORs the byte at `offset` with `mask` (default: flip every bit). */
export async function flipByte(vfs: MemoryVfs, offset: number, mask = 0xff): Promise<void> {
  const bytes = await logBytes(vfs);
  bytes[offset] = (bytes[offset] ?? 0) ^ mask;
  await replaceLog(vfs, bytes);
}

/** Cuts the log file to `sizeBytes`. */
export async function truncateTo(vfs: MemoryVfs, sizeBytes: number): Promise<void> {
  const file = await vfs.open(LOG_PATH, { write: true });
  await file.truncate(sizeBytes);
  await file.close();
}

/** A payload of `length` bytes whose content depends on `seed`, so records are distinguishable. */
export function patterned(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let i = 0; i < length; i++) bytes[i] = (seed * 31 + i * 7 + (i >>> 8)) & 0xff;
  return bytes;
}

/** True when `items` appear in `all` in the same order (a subsequence). */
export function isSubsequence<T>(items: readonly T[], all: readonly T[], equal: (a: T, b: T) => boolean): boolean {
  let at = 0;
  for (const item of items) {
    while (at < all.length && !equal(item, all[at] as T)) at++;
    if (at === all.length) return false;
    at++;
  }
  return true;
}
