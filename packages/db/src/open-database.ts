/**
 * Opening a database directory: checks, the lock, WAL recovery and the new WAL segment.
 * Every failure after the lock was taken releases it.
 */
import { dirname } from 'node:path';
import { InvalidArgumentError, toFileNum } from '@kv/base';
import type { FileNum, SeqNum } from '@kv/base';
import type { Memtable } from '@kv/memtable';
import type { VfsLock } from '@kv/vfs';
import { WalWriter } from '@kv/wal';
import { LOCK_FILE_NAME } from './format.js';
import { logFileName, parseLogFileName } from './file-names.js';
import type { ResolvedOptions } from './options.js';
import { recoverWal } from './recover-wal.js';

export interface OpenedDatabase {
  lock: VfsLock;
  memtable: Memtable;
  lastSeq: SeqNum;
  wal: WalWriter;
  /** WAL segments whose records live in the memtable, oldest first (the active one last). */
  liveLogs: FileNum[];
}

export async function openDatabase(dir: string, options: ResolvedOptions): Promise<OpenedDatabase> {
  await prepareDirectory(dir, options);
  const lock = await options.vfs.lock(`${dir}/${LOCK_FILE_NAME}`);
  try {
    return await recoverUnderLock(dir, options, lock);
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function prepareDirectory(dir: string, options: ResolvedOptions): Promise<void> {
  const stat = await options.vfs.stat(dir);
  if (stat !== undefined && !stat.isDirectory) throw new InvalidArgumentError('database directory', `${dir} is not a directory`);
  if (stat !== undefined) return;
  if (!options.createIfMissing) throw new InvalidArgumentError('database directory', `${dir} does not exist (createIfMissing is false)`);
  await options.vfs.mkdir(dir, { recursive: true });
  // A new directory's own entry is durable only once its parent is synced.
  await options.vfs.syncDir(dirname(dir));
}

async function recoverUnderLock(dir: string, options: ResolvedOptions, lock: VfsLock): Promise<OpenedDatabase> {
  const { vfs } = options;
  const logs = (await vfs.list(dir))
    .map(parseLogFileName)
    .filter((n): n is FileNum => n !== undefined)
    .sort((a, b) => a - b);
  if (logs.length > 0 && options.errorIfExists) throw new InvalidArgumentError('database directory', `${dir} already holds a database (errorIfExists is true)`);
  const recovered = await recoverWal({ vfs, dir, mode: options.walRecoveryMode, logs });
  const walNumber = toFileNum((logs.at(-1) ?? 0) + 1);
  const wal = await WalWriter.create(vfs, `${dir}/${logFileName(walNumber)}`, { logNumber: walNumber });
  // WalWriter.create syncs the directory, so the new segment's entry is durable before any
  // sync write in it is acknowledged.
  for (const empty of recovered.emptyLogs) await vfs.unlink(`${dir}/${logFileName(empty)}`);
  return { lock, memtable: recovered.memtable, lastSeq: recovered.lastSeq, wal, liveLogs: [...recovered.liveLogs, walNumber] };
}
