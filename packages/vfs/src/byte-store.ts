import { assert } from '@kv/base';

/** The largest in-memory file; beyond it a write or truncate fails like a real EFBIG. */
export const MEMORY_FILE_BYTES_MAX: number = 1 << 30;
const INITIAL_CAPACITY_BYTES = 64;

/**
 * The growable content of one in-memory file. Invariant: every byte of the backing buffer at
 * or past `length` is zero, so extending the file (by a write past the end or a truncate)
 * exposes zeros without clearing anything.
 */
export class ByteStore {
  private buffer: Uint8Array;
  private sizeBytes: number;

  private constructor(buffer: Uint8Array, sizeBytes: number) {
    this.buffer = buffer;
    this.sizeBytes = sizeBytes;
  }

  static empty(): ByteStore {
    return new ByteStore(new Uint8Array(0), 0);
  }

  get length(): number {
    return this.sizeBytes;
  }

  /** Copies `data` in at `position`, zero-filling any gap past the current end. */
  write(position: number, data: Uint8Array): void {
    if (data.length === 0) return;
    const end = position + data.length;
    this.reserve(end);
    this.buffer.set(data, position);
    this.sizeBytes = Math.max(this.sizeBytes, end);
  }

  /** Copies up to `into.length` bytes from `position` into `into`; returns how many. */
  read(position: number, into: Uint8Array): number {
    if (position >= this.sizeBytes) return 0;
    const count = Math.min(into.length, this.sizeBytes - position);
    into.set(this.buffer.subarray(position, position + count));
    return count;
  }

  /** Cuts the content to `sizeBytes` or extends it with zeros. */
  truncate(sizeBytes: number): void {
    if (sizeBytes < this.sizeBytes) {
      this.buffer.fill(0, sizeBytes, this.sizeBytes);
    } else {
      this.reserve(sizeBytes);
    }
    this.sizeBytes = sizeBytes;
  }

  /** A copy of the content that the caller owns. */
  toBytes(): Uint8Array {
    return this.buffer.slice(0, this.sizeBytes);
  }

  clone(): ByteStore {
    return new ByteStore(this.buffer.slice(0, this.sizeBytes), this.sizeBytes);
  }

  private reserve(capacityBytes: number): void {
    assert(capacityBytes <= MEMORY_FILE_BYTES_MAX, 'caller checked the file size limit');
    if (capacityBytes <= this.buffer.length) return;
    const grown = Math.min(MEMORY_FILE_BYTES_MAX, Math.max(capacityBytes, this.buffer.length * 2, INITIAL_CAPACITY_BYTES));
    const next = new Uint8Array(grown);
    next.set(this.buffer.subarray(0, this.sizeBytes));
    this.buffer = next;
  }
}
