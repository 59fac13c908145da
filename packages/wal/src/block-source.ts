/**
 * Reads a log file one block at a time. Each block gets a fresh buffer, so views into an
 * earlier block stay valid while a record that spans blocks is assembled.
 */
import { assert } from '@kv/base';
import type { VfsFile } from '@kv/vfs';
import { BLOCK_SIZE_BYTES } from './format.js';

export class BlockSource {
  readonly file: VfsFile;
  /** The file size when the reader opened it; bytes appended later are not read. */
  readonly fileSizeBytes: number;
  private cachedIndex = -1;
  private cachedBlock: Uint8Array = new Uint8Array(0);

  constructor(file: VfsFile, fileSizeBytes: number) {
    this.file = file;
    this.fileSizeBytes = fileSizeBytes;
  }

  get blockCount(): number {
    return Math.ceil(this.fileSizeBytes / BLOCK_SIZE_BYTES);
  }

  /**
   * The bytes of block `index` that exist in the file: a full block, or fewer for the last one.
   * A file that shrank since it was opened yields a shorter block, which readers see as a torn tail.
   */
  async load(index: number): Promise<Uint8Array> {
    assert(index >= 0 && index < this.blockCount, 'block index within the file');
    if (index === this.cachedIndex) return this.cachedBlock;
    const start = index * BLOCK_SIZE_BYTES;
    const wanted = Math.min(BLOCK_SIZE_BYTES, this.fileSizeBytes - start);
    const buffer = new Uint8Array(wanted);
    let filled = 0;
    // Every pass either makes progress or stops at end of file, so at most `wanted` passes.
    while (filled < wanted) {
      const read = await this.file.read({ buffer: buffer.subarray(filled), position: start + filled });
      if (read <= 0) break;
      filled += read;
    }
    this.cachedIndex = index;
    this.cachedBlock = buffer.subarray(0, filled);
    return this.cachedBlock;
  }
}
