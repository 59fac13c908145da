import { constants } from 'node:fs';
import { open, readFile, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { LockedError } from '@kv/base';
import { processStartTime } from './process-start-time.js';
import { errnoOf, fromNodeError } from './vfs-error.js';

/** How many times a stale lock file is removed and creation retried before giving up. */
const TAKEOVER_ATTEMPTS_MAX = 3;
/**
 * A lock file without a readable pid is younger than this while its creator is still writing
 * it; older, it is the leftover of a crash between creating and writing it.
 */
const UNWRITTEN_GRACE_MS = 5_000;
/** A lock file is a few dozen bytes; only this many leading bytes are parsed. */
const LOCK_FILE_BYTES_MAX = 256;

/** What a lock file says about its holder. */
interface LockHolder {
  pid: number | undefined;
  startTime: string | undefined;
}

/**
 * Creates the pid lock file at `path` (the PostgreSQL postmaster.pid approach): O_EXCL create,
 * then `pid\nstartTime\n`, fsynced. An existing file whose holder is dead (or is an older
 * process with a reused pid) is removed and creation retried. Throws `LockedError` when a live
 * process holds it. The in-process check is the caller's job.
 */
export async function acquirePidLock(path: string): Promise<void> {
  const content = `${process.pid}\n${(await processStartTime('self')) ?? ''}\n`;
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS_MAX; attempt++) {
    if (await tryCreateLockFile(path, content)) return;
    const holder = await readLockHolder(path);
    if (holder === undefined) continue;
    if (await isHolderAlive(path, holder)) {
      throw new LockedError(path, `held by process ${holder.pid ?? '(unknown)'}`);
    }
    await removeIgnoringMissing(path);
  }
  throw new LockedError(path, 'lock file reappeared after every stale-lock takeover');
}

/** Removes the lock file; a file that is already gone is fine. */
export async function removeIgnoringMissing(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (error) {
    if (errnoOf(error) !== 'ENOENT') throw fromNodeError(`unlink ${path}`, error);
  }
}

/** Returns false when the file already exists; a half-written file is removed before rethrowing. */
async function tryCreateLockFile(path: string, content: string): Promise<boolean> {
  let handle: FileHandle;
  try {
    handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o644);
  } catch (error) {
    if (errnoOf(error) === 'EEXIST') return false;
    throw fromNodeError(`lock ${path}`, error);
  }
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removeIgnoringMissing(path);
    throw fromNodeError(`lock ${path}`, error);
  }
  return true;
}

/** Parses the lock file; undefined when it vanished meanwhile (so the caller retries). */
async function readLockHolder(path: string): Promise<LockHolder | undefined> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).slice(0, LOCK_FILE_BYTES_MAX);
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return undefined;
    throw fromNodeError(`lock ${path}`, error);
  }
  // Both lines must be complete: a torn write (the holder died, or power failed, before the
  // fsync) can leave a prefix such as "1" of "12345\n...", which must not name pid 1.
  const complete = /^(\d+)\n(\d*)\n/.exec(text);
  if (complete === null) return { pid: undefined, startTime: undefined };
  const pid = Number(complete[1]);
  const startLine = complete[2] ?? '';
  return {
    // Zero or negative pids would make `process.kill` signal whole process groups.
    pid: pid > 0 && Number.isSafeInteger(pid) ? pid : undefined,
    startTime: startLine === '' ? undefined : startLine,
  };
}

async function isHolderAlive(path: string, holder: LockHolder): Promise<boolean> {
  if (holder.pid === undefined) return isRecentlyCreated(path);
  // Our own pid without an entry in the in-process registry is a lock this process leaked.
  if (holder.pid === process.pid) return false;
  if (!isPidAlive(holder.pid)) return false;
  if (holder.startTime === undefined) return true;
  const liveStartTime = await processStartTime(holder.pid);
  return liveStartTime === undefined || liveStartTime === holder.startTime;
}

function isPidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return errnoOf(error) === 'EPERM';
  }
}

async function isRecentlyCreated(path: string): Promise<boolean> {
  try {
    return Date.now() - (await stat(path)).mtimeMs < UNWRITTEN_GRACE_MS;
  } catch (error) {
    if (errnoOf(error) === 'ENOENT') return false;
    throw fromNodeError(`lock ${path}`, error);
  }
}
