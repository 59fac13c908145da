/**
 * The one file-system interface every kv package uses for all file I/O. Two backends
 * implement it: `NodeVfs` (node:fs) and `MemoryVfs` (in memory, with power-loss and fault
 * injection for tests).
 *
 * Contracts every backend keeps:
 * - Paths are absolute or relative POSIX-style strings; backends do not interpret `~`.
 * - Failures are `KvError`s: `NoSpaceError` (NO_SPACE) for ENOSPC/EDQUOT, `IoError`
 *   (IO_ERROR, with `osCode`) for everything else. A missing path is `IoError` with
 *   `osCode: 'ENOENT'`.
 * - Data written through `write`/`writeSync` has reached the operating system when the call
 *   returns (it survives the process being killed) but survives power loss only after
 *   `sync()` on the file. A file's creation, rename or removal survives power loss only after
 *   `syncDir()` on its directory.
 * - A backend keeps no reference to a write's `data` once the write has returned or settled:
 *   the caller may reuse the array (the sstable builder reuses its write slabs).
 */

/** One open file. Positions and lengths are in bytes. */
export interface VfsFile {
  readonly path: string;
  /** Reads up to `buffer.length` bytes at `position`; returns how many were read (0 at EOF). */
  read(request: ReadRequest): Promise<number>;
  /** Same as `read` without leaving the calling thread: for reads the page cache serves. */
  readSync(request: ReadRequest): number;
  /** Writes all of `data` at `position`, extending the file if needed. */
  write(request: WriteRequest): Promise<void>;
  /** Same as `write` without leaving the calling thread: for small appends on the hot path. */
  writeSync(request: WriteRequest): void;
  /** Makes the file's data and size durable (fdatasync). */
  sync(): Promise<void>;
  /**
   * Same as `sync` without leaving the calling thread, which it holds for as long as the
   * device takes: for callers that wait for the sync anyway and know it to be fast. Optional:
   * callers fall back to `sync`. A wrapper that overrides `sync` must override this too (or
   * leave it undefined), or syncs that block will bypass it.
   */
  syncBlocking?(): void;
  /** The file's current size. */
  size(): Promise<number>;
  /** Cuts or extends (with zeros) the file to `sizeBytes`. */
  truncate(sizeBytes: number): Promise<void>;
  /** Releases the handle. Closing twice is harmless. */
  close(): Promise<void>;
}

export interface ReadRequest {
  buffer: Uint8Array;
  position: number;
}

export interface WriteRequest {
  data: Uint8Array;
  position: number;
}

export interface OpenOptions {
  /** Open for writing as well as reading. Default false. */
  write?: boolean;
  /** Create the file when it does not exist. Implies `write`. Default false. */
  create?: boolean;
  /** With `create`: fail with `osCode: 'EEXIST'` when the file already exists. */
  exclusive?: boolean;
}

export interface FileStat {
  sizeBytes: number;
  isDirectory: boolean;
}

/** An exclusive hold on a path, released by `release()` (idempotent). */
export interface VfsLock {
  readonly path: string;
  release(): Promise<void>;
}

export interface Vfs {
  open(path: string, options?: OpenOptions): Promise<VfsFile>;
  /** Reads a whole file. */
  readFile(path: string): Promise<Uint8Array>;
  /** Renames atomically, replacing `to` if it exists. */
  rename(from: string, to: string): Promise<void>;
  /**
   * Makes `newPath` a second name of the file `existing` (a hard link): both names share one
   * content. Fails with `osCode: 'EEXIST'` when `newPath` exists, and with the OS's code
   * (e.g. `EXDEV` across devices) when the file system cannot link; callers copy instead.
   */
  link(existing: string, newPath: string): Promise<void>;
  /** Removes a file. */
  unlink(path: string): Promise<void>;
  /** Names (not paths) of the entries of a directory, sorted. */
  list(dir: string): Promise<string[]>;
  /** Creates a directory; with `recursive`, also its parents and no error if it exists. */
  mkdir(dir: string, options?: { recursive?: boolean }): Promise<void>;
  /** Removes an empty directory. */
  rmdir(dir: string): Promise<void>;
  /** Size and kind of a path, or `undefined` when nothing is there. */
  stat(path: string): Promise<FileStat | undefined>;
  /** Makes the directory's entries (creations, renames, removals) durable. */
  syncDir(dir: string): Promise<void>;
  /**
   * Takes an exclusive lock on `path` (creating the file), against every other holder in this
   * process and in other processes. Throws `LockedError` (LOCKED) when someone holds it.
   */
  lock(path: string): Promise<VfsLock>;
}
