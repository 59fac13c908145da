/**
 * Hands out fresh byte arrays carved from shared chunks, so that many small arrays cost one
 * `ArrayBuffer` allocation instead of one each. Creating an `ArrayBuffer` costs about 1–2 µs
 * in V8 (a backing store, external-memory accounting, later garbage-collection work), more
 * than the copy of a 100-byte value it would hold.
 *
 * Every slice is new memory: a chunk is never reused, only dropped by the garbage collector
 * once no slice of it is referenced. The price is that one surviving slice keeps its whole
 * chunk alive, so it suits arrays that die together or are small (results handed to callers,
 * batch payloads that die with their memtable). Pages are not carved from chunks: the block
 * cache keeps pages for very different times, and measured, chunked pages made the garbage
 * collector work harder than one buffer per page. Arrays longer than a quarter of a chunk get
 * an `ArrayBuffer` of their own.
 */
import { copyBytes } from './bytes.js';
import { InvalidArgumentError } from './errors.js';

export interface ChunkAllocatorOptions {
  /**
   * Carve from `SharedArrayBuffer`s (arrays of their own too). A worker thread sent such an
   * array shares its memory instead of receiving a copy, so bytes handed to a worker whole (a
   * memtable's batch payloads, for a flush) cost neither the copy nor a second copy's memory.
   * Default false: arrays handed to callers stay plain.
   */
  shared?: boolean;
}

export class ChunkAllocator {
  readonly chunkBytes: number;
  readonly shared: boolean;
  /** The current chunk (kept as the buffer: a view over it is cheaper to make from that). */
  private chunk: ArrayBuffer | SharedArrayBuffer;
  private used = 0;

  constructor(chunkBytes: number, options: ChunkAllocatorOptions = {}) {
    if (!Number.isSafeInteger(chunkBytes) || chunkBytes < 64) {
      throw new InvalidArgumentError('chunkBytes', `${chunkBytes} is not an integer of at least 64`);
    }
    this.chunkBytes = chunkBytes;
    this.shared = options.shared ?? false;
    this.chunk = this.newBuffer(0);
  }

  /** A zero-filled array of `length` bytes that no other caller shares. */
  take(length: number): Uint8Array {
    if (length > this.chunkBytes >>> 2) return new Uint8Array(this.newBuffer(length));
    if (this.used + length > this.chunk.byteLength) {
      this.chunk = this.newBuffer(this.chunkBytes);
      this.used = 0;
    }
    const slice = new Uint8Array(this.chunk, this.used, length);
    // Keep every slice 8-byte aligned, so DataViews and typed views over it stay cheap.
    this.used += (length + 7) & ~7;
    return slice;
  }

  private newBuffer(bytes: number): ArrayBuffer | SharedArrayBuffer {
    return this.shared ? new SharedArrayBuffer(bytes) : new ArrayBuffer(bytes);
  }

  /** A copy of `bytes` in fresh memory (`copyBytes`: a loop for short arrays, which keys are). */
  copy(bytes: Uint8Array): Uint8Array {
    const copy = this.take(bytes.length);
    copyBytes(copy, 0, bytes, 0, bytes.length);
    return copy;
  }
}
