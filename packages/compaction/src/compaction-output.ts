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
import type { TableBuildOptions } from '@kv/sstable';
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

  private writeSlice(builder: TableBuilder): Promise<void> {
    this.writtenBytes += builder.pendingBytes;
    return builder.writePending();
  }

  /** Finishes the open file, if any. Each finished file is fdatasynced; the caller syncs the directory. */
  async finish(): Promise<TableFileMeta[]> {
    if (this.builder !== undefined) await this.finishFile();
    return this.finished;
  }

  /** Deletes the open file and every finished one: after a failure all outputs are orphans. */
  async abandon(): Promise<void> {
    const builder = this.builder;
    this.builder = undefined;
    if (builder !== undefined) await builder.abandon();
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

  private async finishFile(): Promise<void> {
    const builder = this.builder;
    if (builder === undefined) return;
    const properties = await builder.finish();
    this.builder = undefined;
    this.finished.push(toFileMeta(this.options.level, this.builderFileNumber, properties));
  }
}
