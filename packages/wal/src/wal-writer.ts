/**
 * Appends records to a log file: a new one (`create`) or one a replay read to its end
 * (`openForAppend`). Durability contract: when `appendSync` returns, the records have reached
 * the operating system (they survive the process dying); they survive power loss only once a
 * later `sync()` resolves.
 *
 * Preallocation (`preallocateBytes`): before a sync, when fewer than half of that many bytes of
 * zeros lie ahead of the end of the log, the writer writes zeros up to `preallocateBytes`
 * past it. Later appends then overwrite blocks the file already has, so their fdatasync
 * writes data only, without the file-size update an append past the end makes the file
 * system commit (measured here: about 25% less time per fdatasync). The zeros cost nothing
 * in non-durable use (they are written only ahead of syncs), readers treat zeros from a
 * record boundary to the end of the file as the end of the log (FORMAT.md), and a reopen's
 * recovery cuts them off.
 *
 * `sync()` holds the calling thread (`VfsFile.syncBlocking`) while the device has been fast
 * (`SyncLatencyGate`) and at most `BLOCKING_SYNC_BYTES_MAX` bytes are unsynced, when the file
 * offers it; every other sync, and `syncFinal()` always, goes to the thread pool.
 *
 * Failure rule: a failed write may leave part of its bytes in the file, so the writer is
 * `broken` until those bytes are cut off again. `append` does that itself before it rethrows;
 * after a failed `appendSync` the caller must `await repair()`, and until then every call
 * throws `IoError`. A failed `sync` is permanent: the kernel may already have dropped the
 * dirty pages, so no later sync could prove earlier records durable; start a new log.
 */
import { CorruptionError, InvalidArgumentError, IoError, NotOpenError, assert } from '@kv/base';
import type { Vfs, VfsFile } from '@kv/vfs';
import { posix } from 'node:path';
import { encodeRecords } from './encode-records.js';
import { SyncLatencyGate } from './sync-latency-gate.js';
import { BLOCK_SIZE_BYTES } from './format.js';
import { decodeHeader, encodeHeaderRecord } from './wal-header.js';
import type { WalPosition } from './wal-position.js';

/**
 * The most unsynced bytes a sync may flush on the calling thread: the gate judges the device
 * by small syncs, and a sync that must write back megabytes of non-durable appends takes
 * tens of milliseconds whatever the device (measured: 32 MiB in 23 ms on this project's VM).
 */
const BLOCKING_SYNC_BYTES_MAX = 256 * 1024;

type WriterState = 'open' | 'broken' | 'repairing' | 'trimming' | 'failed' | 'closed';

export class WalWriter {
  readonly path: string;
  readonly logNumber: number;
  private readonly file: VfsFile;
  private size: number;
  /** The file's size: the end of the log plus any zeros written ahead of it. */
  private allocatedEnd: number;
  private readonly preallocateBytes: number;
  private state: WriterState = 'open';
  private failure: unknown = undefined;
  /** Decides which of this log's syncs may block; hand it to the next log of the same database. */
  readonly syncGate: SyncLatencyGate;
  /** Bytes written since the last good sync (records and zeros): what the next sync must flush. */
  private unsyncedBytes = 0;

  private constructor(file: VfsFile, options: { path: string; logNumber: number; sizeBytes: number; preallocateBytes: number; syncGate: SyncLatencyGate }) {
    this.file = file;
    this.syncGate = options.syncGate;
    this.path = options.path;
    this.logNumber = options.logNumber;
    this.size = options.sizeBytes;
    this.allocatedEnd = options.sizeBytes;
    this.preallocateBytes = options.preallocateBytes;
  }

  /**
   * Creates `path` (failing with `osCode: 'EEXIST'` when it exists), writes and syncs the
   * header record, then syncs the directory so the file itself survives power loss. If any of
   * that fails, the new file is removed (best effort) and the error rethrown.
   * `preallocateBytes` (default 0: off) sets the zeros written ahead of syncs (see the class comment).
   * `syncGate` decides which syncs may block (default: a new `SyncLatencyGate` of 1 ms); pass
   * one gate to every log of a database so a new log starts with what the last one learned.
   */
  static async create(vfs: Vfs, path: string, options: { logNumber: number; preallocateBytes?: number; syncGate?: SyncLatencyGate }): Promise<WalWriter> {
    const preallocateBytes = checkPreallocateBytes(options.preallocateBytes);
    const header = encodeHeaderRecord({ logNumber: options.logNumber });
    const file = await vfs.open(path, { create: true, exclusive: true });
    try {
      await file.write({ data: header, position: 0 });
      await file.sync();
      await vfs.syncDir(posix.dirname(path));
    } catch (error) {
      // Best effort: a half-made log holds no records, and removing it frees the name for a retry.
      await file.close().catch(() => undefined);
      await vfs.unlink(path).catch(() => undefined);
      throw error;
    }
    const syncGate = options.syncGate ?? new SyncLatencyGate();
    return new WalWriter(file, { path, logNumber: options.logNumber, sizeBytes: header.length, preallocateBytes, syncGate });
  }

  /**
   * Opens an existing log to append after its last record: `endOffset` is where a replay of the
   * file ended (`WalReplayReport.lastGoodOffset`), and the file must end exactly there, with a
   * valid header for `logNumber`. Otherwise `CorruptionError`: appending after a tail that was
   * not cut off would put new records behind damage. Nothing is synced: the caller knows
   * whether what the file holds is durable. Options as for `create`.
   */
  static async openForAppend(
    vfs: Vfs,
    path: string,
    options: { logNumber: number; endOffset: number; preallocateBytes?: number; syncGate?: SyncLatencyGate },
  ): Promise<WalWriter> {
    const preallocateBytes = checkPreallocateBytes(options.preallocateBytes);
    const file = await vfs.open(path, { write: true });
    try {
      await checkAppendable(file, { path, logNumber: options.logNumber, endOffset: options.endOffset });
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
    const syncGate = options.syncGate ?? new SyncLatencyGate();
    return new WalWriter(file, { path, logNumber: options.logNumber, sizeBytes: options.endOffset, preallocateBytes, syncGate });
  }

  /** True once a sync failed: nothing written since the last good sync can be proven durable,
   *  and the writer refuses all further work (start a new log). */
  get failed(): boolean {
    return this.state === 'failed';
  }

  /** Bytes in the file that belong to the log: the header and every record appended. */
  get sizeBytes(): number {
    return this.size;
  }

  /**
   * Frames `payloads` as consecutive records and writes them with one write call. Returns each
   * record's position once the bytes reached the OS. On failure rethrows the vfs error
   * (`NO_SPACE`, `IO_ERROR`) and leaves the writer broken (see the class comment).
   */
  appendSync(payloads: readonly Uint8Array[]): WalPosition[] {
    this.checkWritable();
    const encoded = encodeRecords(payloads, { logNumber: this.logNumber, fileOffset: this.size });
    try {
      this.file.writeSync({ data: encoded.bytes, position: this.size });
    } catch (error) {
      this.state = 'broken';
      this.failure = error;
      throw error;
    }
    this.unsyncedBytes += encoded.endOffset - this.size;
    this.size = encoded.endOffset;
    if (this.size > this.allocatedEnd) this.allocatedEnd = this.size;
    return encoded.positions;
  }

  /** `appendSync`, but a failed write is cut off again before the error is rethrown. */
  async append(payloads: readonly Uint8Array[]): Promise<WalPosition[]> {
    try {
      return this.appendSync(payloads);
    } catch (error) {
      if (this.state === 'broken') await this.repair().catch(() => undefined);
      throw error;
    }
  }

  /**
   * Cuts the file back to the last good size after a failed append, so the next record
   * follows the last acknowledged one. Does nothing when the writer is not broken.
   */
  async repair(): Promise<void> {
    if (this.state === 'open') return;
    this.checkRepairable();
    this.state = 'repairing';
    try {
      await this.cutToLog();
    } catch (error) {
      if (this.state === 'repairing') this.state = 'broken';
      throw error;
    }
    if (this.state === 'repairing') this.state = 'open';
  }

  /** Makes every record appended so far durable (fdatasync). */
  async sync(): Promise<void> {
    this.checkWritable();
    this.preallocate();
    await this.syncFile(true);
  }

  /**
   * The sync for a log that takes no more appends for now (a memtable switch, a close): cuts
   * the zeros written ahead of it, then makes every record durable. While the cut runs, the
   * writer refuses appends and syncs (`IO_ERROR`), as an append racing it could lose its
   * bytes. Cutting is best effort (the zeros are harmless, see the class comment), so only
   * the sync can fail it. Appending afterwards is allowed.
   */
  async syncFinal(): Promise<void> {
    this.checkWritable();
    if (this.allocatedEnd > this.size) {
      this.state = 'trimming';
      try {
        await this.cutToLog();
      } catch {
        // Zeros past the log change nothing; the sync below still makes the records durable.
      } finally {
        if (this.state === 'trimming') this.state = 'open';
      }
      this.checkWritable();
    }
    // A log at rest may hold a memtable of unsynced appends: never on the calling thread.
    await this.syncFile(false);
  }

  /** Releases the file without syncing it. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.file.close();
  }

  /** Truncates the file to the end of the log: a failed write's bytes, or the zeros ahead. */
  private async cutToLog(): Promise<void> {
    await this.file.truncate(this.size);
    this.allocatedEnd = this.size;
  }

  /**
   * fdatasync, on the calling thread when `mayBlock`, the gate has seen the device fast, the
   * file can (`syncBlocking`), and little is unsynced; through the thread pool otherwise.
   */
  private async syncFile(mayBlock: boolean): Promise<void> {
    const started = performance.now();
    const flushing = this.unsyncedBytes;
    try {
      const syncBlocking = this.file.syncBlocking;
      if (mayBlock && flushing <= BLOCKING_SYNC_BYTES_MAX && this.syncGate.blocking && syncBlocking !== undefined) syncBlocking.call(this.file);
      else await this.file.sync();
      this.syncGate.record(performance.now() - started);
      this.unsyncedBytes -= flushing;
    } catch (error) {
      if (this.state !== 'closed') {
        this.state = 'failed';
        this.failure = error;
      }
      throw error;
    }
  }

  /**
   * Writes zeros ahead of the log when fewer than half of `preallocateBytes` remain. Best
   * effort: a write that fails (a full disk) leaves at most some zeros past the log, which
   * change nothing, so the error is dropped and the sync goes on as without preallocation.
   */
  private preallocate(): void {
    const wanted = this.size + this.preallocateBytes;
    if (this.preallocateBytes === 0 || this.allocatedEnd - this.size >= this.preallocateBytes / 2) return;
    try {
      this.file.writeSync({ data: zeros(wanted - this.allocatedEnd), position: this.allocatedEnd });
      this.unsyncedBytes += wanted - this.allocatedEnd;
      this.allocatedEnd = wanted;
    } catch {
      // See above: zeros past the end of the log are harmless, and the sync reports real trouble.
    }
  }

  private checkWritable(): void {
    if (this.state === 'open') return;
    if (this.state === 'closed') throw new NotOpenError(`wal writer ${this.path}`);
    if (this.state === 'trimming') throw new IoError(`wal ${this.path}`, 'syncFinal is cutting the zeros written ahead; wait for it');
    const detail =
      this.state === 'failed' ? 'writer failed (a sync failed); start a new log' : 'writer failed (an append failed); await repair() first';
    throw new IoError(`wal ${this.path}`, detail, { cause: this.failure });
  }

  private checkRepairable(): void {
    if (this.state === 'broken') return;
    if (this.state === 'closed') throw new NotOpenError(`wal writer ${this.path}`);
    assert(this.state !== 'open', 'repair of an open writer returns early');
    const detail = this.state === 'failed' ? 'a failed sync cannot be repaired' : this.state === 'trimming' ? 'syncFinal is running' : 'a repair is already running';
    throw new IoError(`wal ${this.path}`, detail, { cause: this.failure });
  }
}

let zeroBuffer = new Uint8Array(0);

/** `length` zero bytes, from one buffer shared by every writer (never written to). */
function zeros(length: number): Uint8Array {
  if (zeroBuffer.length < length) zeroBuffer = new Uint8Array(length);
  return zeroBuffer.subarray(0, length);
}

function checkPreallocateBytes(value: number | undefined): number {
  const bytes = value ?? 0;
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidArgumentError('preallocateBytes', `${bytes} is not a non-negative integer`);
  return bytes;
}

/** The checks of `openForAppend`: the file ends at `endOffset`, after a valid header. */
async function checkAppendable(file: VfsFile, options: { path: string; logNumber: number; endOffset: number }): Promise<void> {
  const where = `wal ${options.path}`;
  const sizeBytes = await file.size();
  if (sizeBytes !== options.endOffset) {
    throw new CorruptionError(where, `cannot append at offset ${options.endOffset}: the file holds ${sizeBytes} bytes (cut its tail first)`);
  }
  const start = new Uint8Array(Math.min(sizeBytes, BLOCK_SIZE_BYTES));
  const read = await file.read({ buffer: start, position: 0 });
  const header = decodeHeader(start.subarray(0, read), { where, expectedLogNumber: options.logNumber });
  if (header.kind !== 'valid' || header.recordsOffset > options.endOffset) {
    throw new CorruptionError(where, `cannot append: the file has no complete header (${header.kind})`);
  }
}
