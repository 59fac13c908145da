/**
 * A database opened with `readOnly: true`: no lock, nothing written, so it can run beside a
 * writer in another process (or this one). It reads the state the directory held when it
 * was opened or last refreshed: the manifest's page files plus the WAL segments replayed
 * into memory. `refresh()` moves it to the writer's current state.
 *
 * A writer deletes files as it flushes and compacts; a file deleted between reading the
 * manifest and opening it makes the load start over (a few times, then the error is
 * reported). Files already open stay readable after the writer deletes them.
 */
import { CorruptionError, InvalidArgumentError, NotSupportedError, ReadOnlyError, isKvError, toFileNum, toSeqNum } from '@kv/base';
import type { SeqNum } from '@kv/base';
import { readManifest } from '@kv/manifest';
import type { Memtable } from '@kv/memtable';
import { BlockCache } from '@kv/sstable';
import { DbReader } from './db-reader.js';
import type { ReadState } from './db-reader.js';
import { logFileName, parseLogFileName } from './file-names.js';
import type { ResolvedOptions } from './options.js';
import { recoverWal } from './recover-wal.js';
import { TableSet } from './table-set.js';

/**
 * A bound on starting over, for a writer that replaces its files faster than a load can
 * open them, every time: it only stops a load from spinning forever.
 */
const LOAD_ATTEMPTS_MAX = 1000;

export class ReadOnlyDB extends DbReader {
  readonly location: string;
  private readonly options: ResolvedOptions;
  private readonly tables: TableSet;
  private memtable: Memtable | undefined;
  private visibleSeq: SeqNum = toSeqNum(0);
  private closing: Promise<void> | undefined;
  /** Which manifest, read up to where, the last load attempt saw. */
  private manifestRead = '';
  private loading: Promise<void> = Promise.resolve();
  private loads = 0;

  private constructor(location: string, options: ResolvedOptions) {
    super(options.clock);
    this.location = location;
    this.options = options;
    const cache = new BlockCache({ capacityBytes: options.memory.cacheCapacityBytes });
    this.tables = new TableSet({ vfs: options.vfs, dir: location, cache, deletesRetired: false });
  }

  /** @internal Use `DB.open(location, { readOnly: true })`. */
  static async openReadOnly(location: string, options: ResolvedOptions): Promise<ReadOnlyDB> {
    const stat = await options.vfs.stat(location);
    if (stat === undefined || !stat.isDirectory) throw new InvalidArgumentError('database directory', `${location} does not exist or is not a directory (a read-only open never creates one)`);
    const db = new ReadOnlyDB(location, options);
    try {
      await db.load();
    } catch (error) {
      await db.tables.close();
      throw error;
    }
    return db;
  }

  /** The newest sequence number this view holds. */
  get sequence(): number {
    return this.visibleSeq;
  }

  /**
   * Moves the view to the directory's current state. Iterators already open keep reading the
   * state they started on. Snapshots do not survive a refresh (the writer may have compacted
   * away what they read): release them first, or get NOT_SUPPORTED.
   */
  async refresh(): Promise<void> {
    this.ensureOpen();
    if (this.snapshots.size > 0) throw new NotSupportedError('refresh', `${this.snapshots.size} snapshot(s) are live on this read-only database; release them first`);
    await this.load();
  }

  /** Releases the files. Idempotent. */
  close(): Promise<void> {
    if (this.closing === undefined) {
      this.state = 'closing';
      this.closing = this.tables.close().finally(() => {
        this.state = 'closed';
      });
    }
    return this.closing;
  }

  async put(..._args: unknown[]): Promise<void> {
    throw this.readOnly();
  }

  async delete(..._args: unknown[]): Promise<void> {
    throw this.readOnly();
  }

  async write(..._args: unknown[]): Promise<void> {
    throw this.readOnly();
  }

  async clear(..._args: unknown[]): Promise<void> {
    throw this.readOnly();
  }

  async flush(): Promise<void> {
    throw this.readOnly();
  }

  async compactRange(..._args: unknown[]): Promise<void> {
    throw this.readOnly();
  }

  /** @internal */
  protected readState(): ReadState {
    return { memtables: this.memtable === undefined ? [] : [this.memtable], tables: this.tables, visibleSeq: this.visibleSeq };
  }

  private readOnly(): ReadOnlyError {
    this.ensureOpen();
    return new ReadOnlyError(`database ${this.location} was opened with readOnly: true`);
  }

  /**
   * Loads, starting over while a failure may be a lost race with the writer. The writer
   * deletes a file only after the manifest edit that drops it is durable, so a lost race
   * always shows as a manifest that changed since the attempt read it. A file missing twice
   * under the same manifest is real damage and is reported as such.
   */
  /** Loads one at a time (a refresh waits for the one running), so views only move forward. */
  private load(): Promise<void> {
    const next = this.loading.then(() => this.loadWithRetries());
    this.loading = next.catch(() => undefined);
    return next;
  }

  private async loadWithRetries(): Promise<void> {
    this.loads++;
    let previous = '';
    for (let attempt = 1; ; attempt++) {
      try {
        await this.loadOnce();
        return;
      } catch (error) {
        const read = this.manifestRead;
        if (!mayBeRace(error) || read === previous || attempt >= LOAD_ATTEMPTS_MAX) throw error;
        previous = read;
        await new Promise((resolve) => setTimeout(resolve, Math.min(attempt, 20)));
      }
    }
  }

  private async loadOnce(): Promise<void> {
    const { vfs } = this.options;
    // Which manifest was read, and how far (or the error naming the one CURRENT names): the
    // writer moves one of them forward before it deletes any file.
    const replay = await readManifest(vfs, this.location).catch((error: unknown) => {
      this.manifestRead = `unreadable: ${error instanceof Error ? error.message : String(error)}`;
      throw error;
    });
    if (replay === undefined) throw new InvalidArgumentError('database directory', `${this.location} holds no database (no CURRENT)`);
    const version = replay.version;
    this.manifestRead = `${replay.manifestName}@${replay.report.lastGoodOffset}`;
    const logs = (await vfs.list(this.location))
      .flatMap((name) => parseLogFileName(name) ?? [])
      .filter((number) => number >= version.logNumber)
      .sort((a, b) => a - b);
    // The segment the manifest names as the oldest needed is gone when the writer flushed it
    // after the manifest was read: its writes are in a page file this version does not list.
    if (version.logNumber > 0 && logs[0] !== version.logNumber) {
      throw new CorruptionError(`${this.location}/${logFileName(toFileNum(version.logNumber))}`, 'WAL segment the manifest needs is missing');
    }
    const replayed = await recoverWal({ vfs, dir: this.location, mode: this.options.walRecoveryMode, logs, lastSeq: toSeqNum(version.lastSequence), readOnly: true });
    // Files, memtable and sequence number change in one synchronous step: a read between
    // them would see new files at an old sequence number.
    await this.tables.install(version, () => {
      this.memtable = replayed.memtable;
      this.visibleSeq = replayed.lastSeq;
    });
    if (this.options.paranoidChecks && this.loads === 1) await this.tables.checkEveryPage();
  }
}

/** Errors a concurrent writer's deletions can cause: a missing file, or a file cut short. */
function mayBeRace(error: unknown): boolean {
  return isKvError(error, 'IO_ERROR') || isKvError(error, 'CORRUPTION');
}
