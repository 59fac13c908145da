import { constants } from 'node:fs';
import { link, open, readFile, readdir, stat, unlink } from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
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
/** The lock file's content is written under `<lock name>.<pid>` + this, then hard-linked into place. */
const STAGING_SUFFIX = '.staging';

/** What a lock file says about its holder. */
interface LockHolder {
  pid: number | undefined;
  startTime: string | undefined;
}

/**
 * Creates the pid lock file at `path` (the PostgreSQL postmaster.pid approach) holding
 * `pid\nstartTime\n`, fsynced, and whole from the moment it exists: the content is written to
 * a staging file of this process, which is then hard-linked to `path` (`link` fails with EEXIST
 * when the lock file exists, as an O_EXCL create does). An existing file whose holder is dead
 * (or is an older process with a reused pid) is removed and creation retried. Throws
 * `LockedError` when a live process holds it. The in-process check is the caller's job.
 */
export async function acquirePidLock(path: string): Promise<void> {
  const content = `${process.pid}\n${(await processStartTime('self')) ?? ''}\n`;
  for (let attempt = 0; attempt < TAKEOVER_ATTEMPTS_MAX; attempt++) {
    if (await tryCreateLockFile(path, content)) {
      await removeDeadStagingFiles(path);
      return;
    }
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

/**
 * Returns false when the lock file already exists. Stages the content and links it into place.
 * When `link` fails for any other reason, creates the file in place (see `createInPlace`):
 * file systems without hard links fail it with errors that vary by platform (EPERM, ENOTSUP,
 * EOPNOTSUPP or ENOSYS on Linux, EISDIR for FAT on Windows through libuv, UNKNOWN), and the
 * in-place create is always correct, only slower to recover after a kill. A failure it shares
 * (no space, an I/O error) then shows there.
 */
async function tryCreateLockFile(path: string, content: string): Promise<boolean> {
  const staging = stagingPath(path, process.pid);
  try {
    await writeNewFile(staging, content, { exclusive: false, lockPath: path });
    try {
      await link(staging, path);
      return true;
    } catch (error) {
      if (errnoOf(error) === 'EEXIST') return false;
    }
  } finally {
    await removeIgnoringMissing(staging).catch(() => undefined);
  }
  return createInPlace(path, content);
}

function stagingPath(path: string, pid: number): string {
  return `${path}.${pid}${STAGING_SUFFIX}`;
}

/**
 * Creates `path` (`exclusive`: only if it does not exist; else truncating it), writes `content`
 * and fsyncs it. False when an exclusive create finds the file there; a file whose write
 * failed is removed before the error (named after `lockPath`) is thrown.
 */
async function writeNewFile(path: string, content: string, options: { exclusive: boolean; lockPath: string }): Promise<boolean> {
  const flags = constants.O_WRONLY | constants.O_CREAT | (options.exclusive ? constants.O_EXCL : constants.O_TRUNC);
  let handle: FileHandle;
  try {
    handle = await open(path, flags, 0o644);
  } catch (error) {
    if (options.exclusive && errnoOf(error) === 'EEXIST') return false;
    throw fromNodeError(`lock ${options.lockPath}`, error);
  }
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
  } catch (error) {
    await handle.close().catch(() => undefined);
    await removeIgnoringMissing(path);
    throw fromNodeError(`lock ${options.lockPath}`, error);
  }
  return true;
}

/**
 * Removes staging files that processes died with (killed between staging and linking): those
 * naming a pid that is not alive. A live pid's file may be an open in progress, and stays.
 */
async function removeDeadStagingFiles(path: string): Promise<void> {
  const prefix = `${basename(path)}.`;
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith(STAGING_SUFFIX)) continue;
    const digits = name.slice(prefix.length, name.length - STAGING_SUFFIX.length);
    const pid = Number(digits);
    if (!/^\d+$/.test(digits) || pid <= 0 || !Number.isSafeInteger(pid) || pid === process.pid || isPidAlive(pid)) continue;
    await removeIgnoringMissing(join(dirname(path), name)).catch(() => undefined);
  }
}

/**
 * The lock file created in place: O_EXCL create, then the content. A process killed between
 * the two leaves a file without a pid, which counts as being written for `UNWRITTEN_GRACE_MS`.
 * Returns false when the file already exists; a half-written file is removed before rethrowing.
 */
function createInPlace(path: string, content: string): Promise<boolean> {
  return writeNewFile(path, content, { exclusive: true, lockPath: path });
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
