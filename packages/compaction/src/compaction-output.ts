/**
 * Writes a compaction's kept entries into new page files, starting a new file once the current
 * one has reached about the target size, but only at a user-key boundary, so every version of
 * a key lands in one file and the output level never holds a key in two files.
 *
 * Writes happen in slices: encoded pages are written once about `SLICE_BYTES` are pending,
 * which also hands the event loop back when the job runs inline.
 */
import { InvalidArgumentError, KeyCopy, toSeqNum } from '@kv/base';
import type { InternalEntry } from '@kv/base';
import type { TableFileMeta } from '@kv/manifest';
import { TableBuilder } from '@kv/sstable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { toFileMeta } from './file-meta.js';
import { tableFilePath } from './table-file-name.js';

export const SLICE_BYTES: number = 256 * 1024;

export interface CompactionOutputOptions {
  vfs: Vfs;
  dir: string;
  level: number;
  fileNumbers: readonly number[];
  build: TableBuildOptions;
  targetFileSizeBytes: number;
}

export class CompactionOutput {
  readonly finished: TableFileMeta[] = [];
  private readonly options: CompactionOutputOptions;
  private builder: TableBuilder | undefined;
  private builderFileNumber = 0;
  /**
   * The previous file's finish (its last writes, fdatasync and close), which runs while the
   * next file fills: the thread then merges instead of waiting for the disk. At most one file
   * finishes at a time. The promise never rejects; a failure is kept in `finishFailure` and
   * thrown by the next `add` that starts a file, or by `finish`.
   */
  private finishing: Promise<void> = Promise.resolve();
  /** The builder `finishing` finishes, until it has: `abandon` removes its file if the finish failed. */
  private finishingBuilder: TableBuilder | undefined;
  private finishFailure: { error: unknown } | undefined;
  private writtenBytes = 0;
  /** The last key added, to start new files only at a key boundary. */
  private readonly lastKey = new KeyCopy();
  private nextNumberIndex = 0;

  constructor(options: CompactionOutputOptions) {
    this.options = options;
  }

  /**
   * Appends one kept entry. Requires: internal order across all calls, and the previous call's
   * promise (if any) settled. Returns a promise only when there is file I/O to wait for (a new
   * file, a finished one, or a slice write), so the common case costs no microtask.
   */
  add(entry: InternalEntry): Promise<void> | undefined {
    const newKey = !this.lastKey.isSet || this.lastKey.compareWith(entry.key) !== 0;
    const builder = this.builder;
    if (builder === undefined || (newKey && this.estimatedBytes() >= this.options.targetFileSizeBytes)) return this.addToNextFile(entry);
    this.addTo(builder, entry, newKey);
    return builder.pendingBytes >= SLICE_BYTES ? this.writeSlice(builder) : undefined;
  }

  private async addToNextFile(entry: InternalEntry): Promise<void> {
    if (this.builder !== undefined) await this.finishFile();
    const builder = await this.startFile();
    this.addTo(builder, entry, true);
  }

  private addTo(builder: TableBuilder, entry: InternalEntry, newKey: boolean): void {
    builder.add(entry.key, toSeqNum(entry.seq), entry.kind, entry.value);
    if (newKey) this.lastKey.set(entry.key);
  }

  /** Writes the slice while the merge goes on; waits only for the slice before it (see `writePendingBehind`). */
  private writeSlice(builder: TableBuilder): Promise<void> | undefined {
    this.writtenBytes += builder.pendingBytes;
    return builder.writePendingBehind();
  }

  /** Finishes the open file, if any, and waits for every file to be finished: each is fdatasynced; the caller syncs the directory. */
  async finish(): Promise<TableFileMeta[]> {
    await this.finishFile();
    await this.previousFinished();
    return this.finished;
  }

  /** Deletes the open file and every finished one: after a failure all outputs are orphans. */
  async abandon(): Promise<void> {
    const builder = this.builder;
    this.builder = undefined;
    if (builder !== undefined) await builder.abandon();
    await this.finishing;
    // Set only when its finish failed; a finished file is in `finished`.
    await this.finishingBuilder?.abandon();
    for (const file of this.finished) {
      await this.options.vfs.unlink(tableFilePath(this.options.dir, file.fileNumber)).catch(() => undefined);
    }
  }

  /** Bytes the open file would have if finished now, short of the page being filled. */
  private estimatedBytes(): number {
    return this.writtenBytes + (this.builder?.pendingBytes ?? 0);
  }

  private async startFile(): Promise<TableBuilder> {
    const fileNumber = this.options.fileNumbers[this.nextNumberIndex];
    if (fileNumber === undefined) {
      throw new InvalidArgumentError('compaction outputFileNumbers', `the job needs more than the ${this.options.fileNumbers.length} output file numbers it was given`);
    }
    this.nextNumberIndex++;
    const builder = await TableBuilder.create(this.options.vfs, tableFilePath(this.options.dir, fileNumber), this.options.build);
    this.builder = builder;
    this.builderFileNumber = fileNumber;
    this.writtenBytes = 0;
    return builder;
  }

  /** Starts finishing the open file, if any, once the previous one has finished (see `finishing`). */
  private async finishFile(): Promise<void> {
    const builder = this.builder;
    if (builder === undefined) return;
    // Before the open file is let go of, so that `abandon` still finds it if this throws.
    await this.previousFinished();
    this.builder = undefined;
    const fileNumber = this.builderFileNumber;
    this.finishingBuilder = builder;
    this.finishing = builder.finish().then(
      (properties: TableProperties) => {
        this.finished.push(toFileMeta(this.options.level, fileNumber, properties));
        this.finishingBuilder = undefined;
      },
      (error: unknown) => {
        this.finishFailure = { error };
      },
    );
  }

  /** Waits for the file finishing in the background, if any; throws its failure. */
  private async previousFinished(): Promise<void> {
    await this.finishing;
    if (this.finishFailure !== undefined) throw this.finishFailure.error;
  }
}
