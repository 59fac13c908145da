/**
 * The replay cursor over one log file. It reads block by block, returns each intact record
 * once, in order, and applies the recovery mode to every damaged range (see FORMAT.md).
 */
import { AssertionError, CorruptionError, NotOpenError, assert } from '@kv/base';
import type { Vfs } from '@kv/vfs';
import { BlockSource } from './block-source.js';
import { BLOCK_SIZE_BYTES, FRAGMENT_HEADER_BYTES, HEADER_RECORD_BYTES_V1 } from './format.js';
import { FragmentCursor } from './fragment-cursor.js';
import { logCrcSeed } from './log-crc.js';
import { RecordAssembler } from './record-assembler.js';
import type { DroppedRange } from './record-assembler.js';
import { hasValidFragmentAfter, onlyZerosFrom } from './scan-ahead.js';
import { decodeHeader } from './wal-header.js';
import type { WalRecord } from './wal-record.js';
import { WAL_RECOVERY_MODE_DEFAULT } from './wal-recovery-mode.js';
import type { WalRecoveryMode } from './wal-recovery-mode.js';
import type { WalReplayReport } from './wal-replay-report.js';

/** A damaged range and where to look for valid data after it. */
interface Damage extends DroppedRange {
  /** Where the damaged fragment's own length says the next fragment starts, if known. */
  nextOffset?: number;
  /** The damage is a zero-filled fragment header inside the log: space never written. */
  zeroFilled?: boolean;
}

export class WalReader {
  readonly path: string;
  readonly logNumber: number;
  readonly mode: WalRecoveryMode;
  private readonly source: BlockSource;
  private readonly seed: number;
  private readonly assembler = new RecordAssembler();
  private cursor: FragmentCursor | undefined;
  private state: 'reading' | 'done' | 'closed' = 'reading';
  private readonly progress: WalReplayReport = { records: 0, lastGoodOffset: 0, droppedBytes: 0, corruptions: [], stoppedEarly: false };
  private readonly liveWriter: boolean;

  private constructor(source: BlockSource, options: { path: string; logNumber: number; mode: WalRecoveryMode; liveWriter: boolean }) {
    this.source = source;
    this.path = options.path;
    this.logNumber = options.logNumber;
    this.mode = options.mode;
    this.liveWriter = options.liveWriter;
    this.seed = logCrcSeed(options.logNumber);
  }

  /**
   * Opens `path` and checks its header. Throws `CorruptionError` for a foreign file, a damaged
   * header or another log's number, and `NotSupportedError` for an unknown format version.
   *
   * `liveWriter`: a writer may be appending to the log while it is read (a read-only open
   * beside a live database). Then a zero-filled fragment header at a record boundary ends the
   * log whatever follows it: the writer may be filling that space right now, so anything read
   * after it may have been written after the reader passed the zeros, and returning it (or
   * reporting it as damage) could show a state no prefix of the log ever was.
   */
  static async open(vfs: Vfs, path: string, options: { logNumber: number; mode?: WalRecoveryMode; liveWriter?: boolean }): Promise<WalReader> {
    const file = await vfs.open(path);
    try {
      const source = new BlockSource(file, await file.size());
      const reader = new WalReader(source, { path, logNumber: options.logNumber, mode: options.mode ?? WAL_RECOVERY_MODE_DEFAULT, liveWriter: options.liveWriter === true });
      await reader.readHeader();
      return reader;
    } catch (error) {
      await file.close();
      throw error;
    }
  }

  /** The replay so far; final once `next()` returned `undefined`. A copy the caller owns. */
  get report(): WalReplayReport {
    return { ...this.progress, corruptions: this.progress.corruptions.map((entry) => ({ ...entry })) };
  }

  /** The next intact record, or `undefined` at the end of the log. */
  async next(): Promise<WalRecord | undefined> {
    if (this.state === 'closed') throw new NotOpenError(`wal reader ${this.path}`);
    const cursor = this.cursor;
    if (this.state === 'done' || cursor === undefined) return undefined;
    // Every event moves the cursor forward by a fragment header or to a block boundary.
    const eventsMax = Math.ceil((this.source.fileSizeBytes - cursor.offset) / FRAGMENT_HEADER_BYTES) + this.source.blockCount + 1;
    for (let events = 0; events <= eventsMax; events++) {
      const event = await cursor.next();
      if (this.state !== 'reading') throw new NotOpenError(`wal reader ${this.path}`);
      if (event.kind === 'eof') {
        const end = this.source.fileSizeBytes;
        const dropped = this.assembler.dropPending({ end, detail: 'incomplete record at end of file' });
        if (dropped !== undefined) await this.onDamage(dropped);
        this.state = 'done';
        return undefined;
      }
      if (event.kind === 'damage') {
        if (this.endsAtZeroTail(event) && (this.liveWriter || (await onlyZerosFrom(this.source, event.offset)))) {
          // Zeros from a record boundary to the end of the file: preallocated space the log
          // never reached, or an un-synced append that extended the file and was lost. Either
          // way the log ends here undamaged, as if the file ended at the boundary. Beside a
          // live writer, zeros at a boundary end the log whatever follows (see `open`).
          if (this.state !== 'reading') throw new NotOpenError(`wal reader ${this.path}`);
          this.state = 'done';
          return undefined;
        }
        const detail = `${event.detail} at offset ${event.offset}`;
        const dropped = this.assembler.dropPending({ end: event.resumeOffset, detail });
        const damage: Damage = dropped ?? { offset: event.offset, end: event.resumeOffset, detail: event.detail };
        if (event.nextOffset !== undefined) damage.nextOffset = event.nextOffset;
        if (event.zeroFilled === true) damage.zeroFilled = true;
        if ((await this.onDamage(damage)) === 'stop') return undefined;
        continue;
      }
      const step = this.assembler.push(event);
      if (step.dropped !== undefined) {
        const damage: Damage = { ...step.dropped, nextOffset: step.dropped.end };
        if ((await this.onDamage(damage)) === 'stop') return undefined;
      }
      if (step.record !== undefined) {
        this.progress.records++;
        this.progress.lastGoodOffset = step.record.position.offset + step.record.position.length;
        return step.record;
      }
    }
    throw new AssertionError('the wal reader advances on every event');
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<WalRecord, void, undefined> {
    // Bounded by the number of records in the file: `next` ends at end of file.
    for (;;) {
      const record = await this.next();
      if (record === undefined) return;
      yield record;
    }
  }

  /** Releases the file. Closing twice is harmless. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    await this.source.file.close();
  }

  private async readHeader(): Promise<void> {
    const size = this.source.fileSizeBytes;
    const block = size === 0 ? new Uint8Array(0) : await this.source.load(0);
    const header = decodeHeader(block, { where: this.where, expectedLogNumber: this.logNumber });
    if (header.kind === 'missing') {
      this.state = 'done';
    } else if (header.kind === 'torn') {
      await this.onDamage({ offset: 0, end: size, detail: 'torn header' });
      this.state = 'done';
    } else if (header.kind === 'zeros') {
      const end = Math.min(BLOCK_SIZE_BYTES, size);
      const action = await this.onDamage({ offset: 0, end, detail: 'zero-filled header', nextOffset: HEADER_RECORD_BYTES_V1 });
      if (action === 'continue') this.cursor = new FragmentCursor(this.source, { seed: this.seed, startOffset: end });
    } else {
      this.progress.lastGoodOffset = header.recordsOffset;
      this.cursor = new FragmentCursor(this.source, { seed: this.seed, startOffset: header.recordsOffset });
    }
  }

  /**
   * Whether a zero-filled header at a record boundary may be the clean end of the log (when
   * only zeros follow), in every mode (FORMAT.md, "Preallocated space").
   */
  private endsAtZeroTail(event: { zeroFilled?: true }): boolean {
    return event.zeroFilled === true && this.assembler.pendingStart === undefined;
  }

  /**
   * Applies the recovery mode to one damaged range: throws, ends the log, or records the skip.
   * Returns whether reading goes on.
   *
   * In `tolerateCorruptedTail`, a zero-filled header ends the log even when valid fragments
   * follow: that is what a power loss leaves when the OS wrote back a later un-synced append
   * but not an earlier one (FORMAT.md, "Un-synced appends persisted out of order"). Everything
   * after it was un-synced, so dropping it keeps a prefix of the log and loses nothing a
   * completed sync promised.
   */
  private async onDamage(damage: Damage): Promise<'continue' | 'stop'> {
    const message = `offset ${damage.offset}: ${damage.detail}`;
    if (this.mode === 'absoluteConsistency') throw new CorruptionError(this.where, message);
    if (this.mode === 'skipCorrupted') {
      this.progress.corruptions.push({ offset: damage.offset, detail: damage.detail });
      this.progress.droppedBytes += damage.end - damage.offset;
      return 'continue';
    }
    if (this.mode === 'tolerateCorruptedTail' && damage.zeroFilled !== true) {
      const resumeOffset = Math.ceil(damage.end / BLOCK_SIZE_BYTES) * BLOCK_SIZE_BYTES;
      const scan = { seed: this.seed, resumeOffset, ...(damage.nextOffset === undefined ? {} : { nextOffset: damage.nextOffset }) };
      if (await hasValidFragmentAfter(this.source, scan)) {
        throw new CorruptionError(this.where, `${message}, and valid data follows (not a torn tail)`);
      }
    }
    assert(this.mode === 'pointInTime' || this.mode === 'tolerateCorruptedTail', 'known recovery mode');
    this.progress.corruptions.push({ offset: damage.offset, detail: damage.detail });
    this.progress.droppedBytes += this.source.fileSizeBytes - damage.offset;
    this.progress.stoppedEarly = true;
    this.state = 'done';
    return 'stop';
  }

  private get where(): string {
    return `wal ${this.path}`;
  }
}
