/**
 * The live manifest of a database: the log of version edits plus the version they add up to.
 * One writer queue: `logAndApply` calls run one at a time in call order, each durable before
 * it resolves. Crash guarantees of every step are in ../README.md.
 */
import { InvalidArgumentError, IoError, NotOpenError, assert } from '@kv/base';
import type { Vfs } from '@kv/vfs';
import { WalWriter } from '@kv/wal';
import type { WalReplayReport } from '@kv/wal';
import { posix } from 'node:path';
import { encodeVersionEdit } from './encode-version-edit.js';
import { manifestFileName } from './file-names.js';
import { CURRENT_FILE_NAME } from './format.js';
import { freshFileNumber, removeStaleManifests } from './manifest-directory.js';
import { switchToNewManifest } from './manifest-switch.js';
import { readManifest } from './read-manifest.js';
import type { ManifestReplay } from './read-manifest.js';
import type { Version } from './version.js';
import type { VersionEdit } from './version-edit.js';

/** A manifest is rewritten as a snapshot once it grows past this size. */
export const ROLLOVER_BYTES_DEFAULT: number = 4 * 1024 * 1024;

/**
 * `Manifest.open` appends to the live manifest only below this size (and below a quarter of
 * `rolloverBytes`); a larger one is rewritten as a snapshot. Every open replays the whole
 * manifest, about 10 µs per edit (measured: ../README.md, "Open"), so this keeps
 * the replay of a reused manifest (some 300 edits) near the cost of the rewrite it saves.
 */
export const REUSE_BYTES_MAX: number = 32 * 1024;

export interface ManifestOptions {
  /** Start a new manifest once the live one reaches this size. Default 4 MiB. */
  rolloverBytes?: number;
  /**
   * Let `open` append to the live manifest instead of rewriting it, when it ends with the
   * close marker exactly at the end of the file and is below `REUSE_BYTES_MAX` and a quarter
   * of `rolloverBytes`. Default true.
   */
  reuse?: boolean;
}

export interface OpenedManifest {
  manifest: Manifest;
  /** The recovered version (with `nextFileNumber` past the new manifest's number). */
  version: Version;
  /** The replay of the previous manifest; `stoppedEarly` when a torn last edit was dropped. */
  replay: WalReplayReport;
  /** The file name of the manifest that was replayed (and replaced unless reused), for error messages. */
  previousManifestName: string;
  /** True when the replayed manifest stays the live one (see `ManifestOptions.reuse`). */
  reused: boolean;
  /** Edits of the replayed manifest other than close markers (1: only its opening snapshot). */
  editCount: number;
}

interface ManifestParts {
  vfs: Vfs;
  dir: string;
  writer: WalWriter;
  manifestNumber: number;
  version: Version;
  rolloverBytes: number;
}

export class Manifest {
  private readonly vfs: Vfs;
  private readonly dir: string;
  private readonly rolloverBytes: number;
  private writer: WalWriter;
  private number: number;
  private version: Version;
  /** The next file number `allocateFileNumber` hands out; never below `version.nextFileNumber`. */
  private nextNumber: number;
  /** Size at which the live manifest is rolled over; see `startedManifest`. */
  private rolloverAtBytes = 0;
  private state: 'open' | 'closing' | 'closed' = 'open';
  private failure: { error: unknown } | undefined;
  private tail: Promise<unknown> = Promise.resolve();

  private constructor(parts: ManifestParts) {
    this.vfs = parts.vfs;
    this.dir = parts.dir;
    this.rolloverBytes = parts.rolloverBytes;
    this.writer = parts.writer;
    this.number = parts.manifestNumber;
    this.version = parts.version;
    this.nextNumber = parts.version.nextFileNumber;
    this.startedManifest();
  }

  /**
   * Creates the first manifest of a new database: `MANIFEST-<manifestNumber>` holding a
   * snapshot of `version`, synced, then CURRENT pointing at it. `version.nextFileNumber` must
   * be above `manifestNumber`. Refuses a directory that has a CURRENT (`INVALID_ARGUMENT`). A
   * leftover file of the same name (a create that crashed before CURRENT existed) is replaced.
   */
  static async create(vfs: Vfs, dir: string, options: { manifestNumber: number; version: Version } & ManifestOptions): Promise<Manifest> {
    const rolloverBytes = checkRolloverBytes(options.rolloverBytes);
    const { manifestNumber, version } = options;
    if (!Number.isSafeInteger(manifestNumber) || manifestNumber < 0 || manifestNumber >= version.nextFileNumber) {
      throw new InvalidArgumentError('Manifest.create', `manifest number ${manifestNumber} must be below nextFileNumber ${version.nextFileNumber}`);
    }
    if ((await vfs.stat(posix.join(dir, CURRENT_FILE_NAME))) !== undefined) {
      throw new InvalidArgumentError('Manifest.create', `${dir} already holds a database (CURRENT exists)`);
    }
    await removeLeftover(vfs, dir, manifestNumber);
    const outcome = await switchToNewManifest(vfs, dir, { manifestNumber, version });
    if ('failure' in outcome) throw outcome.failure.error;
    return new Manifest({ vfs, dir, writer: outcome.writer, manifestNumber, version, rolloverBytes });
  }

  /**
   * Opens the database's manifest: replays the one CURRENT names (see `readManifest`). A small
   * manifest that ends with the close marker stays live (`ManifestOptions.reuse`), and later
   * edits are appended to it. Otherwise open writes a new manifest holding a snapshot of the
   * result and switches CURRENT to it. Either way it then removes every other manifest.
   * Returns `undefined` when `dir` has no CURRENT. File numbers handed out afterwards are above
   * every numbered file in `dir`.
   */
  static async open(vfs: Vfs, dir: string, options: ManifestOptions = {}): Promise<OpenedManifest | undefined> {
    const rolloverBytes = checkRolloverBytes(options.rolloverBytes);
    const replay = await readManifest(vfs, dir);
    if (replay === undefined) return undefined;
    const reusable = (options.reuse ?? true) && replay.closedCleanly && endsCleanly(replay) && replay.fileBytes < Math.min(REUSE_BYTES_MAX, rolloverBytes / 4);
    const live = reusable ? await reuseManifest(vfs, dir, replay) : await rewriteManifest(vfs, dir, replay);
    // Best effort: CURRENT naming the live manifest is durable, and a manifest left behind is removed by the next open.
    await removeStaleManifests(vfs, dir, live.manifestNumber).catch(() => undefined);
    const manifest = new Manifest({ vfs, dir, rolloverBytes, ...live });
    return { manifest, version: live.version, replay: replay.report, previousManifestName: replay.manifestName, reused: reusable, editCount: replay.editCount };
  }

  /** The version after every edit whose `logAndApply` resolved. */
  get current(): Version {
    return this.version;
  }

  /** True once an edit's fate became unknown (a failed sync or switch): reopen to recover. */
  get failed(): boolean {
    return this.failure !== undefined;
  }

  get manifestNumber(): number {
    return this.number;
  }

  /** Bytes of the live manifest file. */
  get sizeBytes(): number {
    return this.writer.sizeBytes;
  }

  /**
   * Hands out the next file number (for WAL segments, page files and manifests alike). Every
   * number handed out is recorded as used by the next edit `logAndApply` writes, so allocate
   * every file number of the database here and none is ever used twice.
   */
  allocateFileNumber(): number {
    const number = this.nextNumber;
    this.nextNumber += 1;
    return number;
  }

  /**
   * Appends `edit` and fdatasyncs it; resolves with the new version once it is durable. The
   * written edit carries `nextFileNumber` raised to cover every allocated number. An edit that
   * does not apply is a bug (`AssertionError`) and writes nothing. After a failed sync the
   * edit's fate is unknown and the manifest is failed for good (`IO_ERROR` from then on):
   * reopen to learn what is durable.
   */
  logAndApply(edit: VersionEdit): Promise<Version> {
    if (this.state !== 'open') return Promise.reject(new NotOpenError(`manifest ${this.path}`));
    const run = this.tail.then(() => this.logAndApplyNow(edit));
    this.tail = run.catch(() => undefined);
    return run;
  }

  /**
   * Waits for queued edits, appends and syncs the close marker (unless the manifest failed),
   * then releases the file. Closing twice is harmless.
   */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    await this.tail;
    if (this.failure === undefined) await this.appendCloseMarker();
    this.state = 'closed';
    await this.writer.close();
  }

  /**
   * The marker tells the next open that every edit before it was synced by a writer whose
   * syncs all succeeded, so the manifest may stay live (FORMAT.md, "Open"). Best effort: a
   * manifest without it is rewritten by the next open. A marker whose own sync failed is
   * harmless: the edits before it were durable, and the next edit's sync rewrites its page.
   */
  private async appendCloseMarker(): Promise<void> {
    try {
      await this.writer.append([encodeVersionEdit({ closed: true })]);
      await this.writer.sync();
    } catch {
      // The next open rewrites the manifest.
    }
  }

  private async logAndApplyNow(edit: VersionEdit): Promise<Version> {
    if (this.failure !== undefined) {
      throw new IoError(`manifest ${this.path}`, 'failed earlier; reopen the database', { cause: this.failure.error });
    }
    const nextFileNumber = Math.max(edit.nextFileNumber ?? 0, this.nextNumber);
    const recorded: VersionEdit = { ...edit, nextFileNumber };
    const next = this.version.apply(recorded);
    await this.writer.append([encodeVersionEdit(recorded)]);
    try {
      await this.writer.sync();
    } catch (error) {
      this.failure = { error };
      throw error;
    }
    this.version = next;
    this.nextNumber = Math.max(this.nextNumber, next.nextFileNumber);
    if (this.writer.sizeBytes >= this.rolloverAtBytes) await this.rollover();
    return this.version;
  }

  /**
   * Replaces the live manifest with a new one holding a snapshot. A failure before CURRENT was
   * renamed is harmless: the old manifest stays live and the next edit tries again. A failure
   * after it (the directory fsync) leaves CURRENT uncertain, so the manifest fails for good.
   */
  private async rollover(): Promise<void> {
    const manifestNumber = this.allocateFileNumber();
    const version = this.version.apply({ nextFileNumber: this.nextNumber });
    const outcome = await switchToNewManifest(this.vfs, this.dir, { manifestNumber, version });
    assert(this.state !== 'closed', 'close waits for the queue');
    if ('failure' in outcome) {
      if (outcome.failure.renamed) this.failure = { error: outcome.failure.error };
      return;
    }
    const old = this.writer;
    this.writer = outcome.writer;
    this.number = manifestNumber;
    this.version = version;
    this.startedManifest();
    await old.close().catch(() => undefined);
    // The switch is durable, so the old manifest is garbage; a failed unlink is retried by the next open.
    await this.vfs.unlink(old.path).catch(() => undefined);
  }

  /**
   * A manifest starts with a snapshot that may itself be large; rolling over at twice that
   * size at least keeps the rewrite cost proportional to the edits appended since.
   */
  private startedManifest(): void {
    this.rolloverAtBytes = Math.max(this.rolloverBytes, 2 * this.writer.sizeBytes);
  }

  private get path(): string {
    return this.writer.path;
  }
}

type LiveManifest = Pick<ManifestParts, 'writer' | 'manifestNumber' | 'version'>;

/** The manifest's last record ends exactly at the end of the file: nothing torn, nothing damaged. */
function endsCleanly(replay: ManifestReplay): boolean {
  const { report } = replay;
  return !report.stoppedEarly && report.corruptions.length === 0 && report.lastGoodOffset === replay.fileBytes;
}

/**
 * Keeps the replayed manifest live, syncing nothing: it ends with the close marker, which its
 * writer appended only after every edit's sync and CURRENT's switch had succeeded. (A re-sync
 * could not stand in for that: after a failed fdatasync the kernel may have marked the unwritten
 * pages clean, so a later sync succeeds without writing them.)
 */
async function reuseManifest(vfs: Vfs, dir: string, replay: ManifestReplay): Promise<LiveManifest> {
  const path = posix.join(dir, replay.manifestName);
  const writer = await WalWriter.openForAppend(vfs, path, { logNumber: replay.manifestNumber, endOffset: replay.fileBytes });
  try {
    const nextFileNumber = await freshFileNumber(vfs, dir, replay.version.nextFileNumber);
    return { writer, manifestNumber: replay.manifestNumber, version: replay.version.apply({ nextFileNumber }) };
  } catch (error) {
    await writer.close().catch(() => undefined);
    throw error;
  }
}

/** Writes a snapshot of the replayed version into a new manifest and switches CURRENT to it. */
async function rewriteManifest(vfs: Vfs, dir: string, replay: ManifestReplay): Promise<LiveManifest> {
  const manifestNumber = await freshFileNumber(vfs, dir, replay.version.nextFileNumber);
  const version = replay.version.apply({ nextFileNumber: manifestNumber + 1 });
  const outcome = await switchToNewManifest(vfs, dir, { manifestNumber, version });
  if ('failure' in outcome) throw outcome.failure.error;
  return { writer: outcome.writer, manifestNumber, version };
}

function checkRolloverBytes(value: number | undefined): number {
  if (value === undefined) return ROLLOVER_BYTES_DEFAULT;
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError('manifest rolloverBytes', `${value} is not a positive integer`);
  return value;
}

/**
 * Without CURRENT no manifest is live, so a file already named like the new one can only be
 * left by an earlier create that crashed; it is removed so the exclusive create succeeds.
 */
async function removeLeftover(vfs: Vfs, dir: string, manifestNumber: number): Promise<void> {
  const path = posix.join(dir, manifestFileName(manifestNumber));
  if ((await vfs.stat(path)) !== undefined) await vfs.unlink(path);
}
