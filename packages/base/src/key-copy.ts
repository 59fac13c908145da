import { copyBytes } from './bytes.js';
import { compareByteRanges } from './compare-bytes.js';

/**
 * A private copy of one key that is replaced key after key, as a merge or a builder remembers
 * "the previous key" (or, in a repair's merge, the previous value): the bytes live in one buffer
 * that grows when needed, so remembering them costs a copy but no allocation. `toArray` hands
 * out a copy to keep.
 */
export class KeyCopy {
  private bytes: Uint8Array = new Uint8Array(64);
  private length = 0;
  private held = false;

  /** Whether a key was set since the copy was made. */
  get isSet(): boolean {
    return this.held;
  }

  /** Replaces the copy with `key`'s bytes; `key` may change or be reused afterwards. */
  set(key: Uint8Array): void {
    this.setRange(key, 0, key.length);
  }

  /** `set` of `length` bytes of `bytes` from `start`, without a view of them. */
  setRange(bytes: Uint8Array, start: number, length: number): void {
    if (length > this.bytes.length) this.bytes = new Uint8Array(Math.max(length, 2 * this.bytes.length));
    copyBytes(this.bytes, 0, bytes, start, length);
    this.length = length;
    this.held = true;
  }

  /** `compareBytes(key, copy)`: negative when `key` sorts first. Requires: `isSet`. */
  compareWith(key: Uint8Array): number {
    return compareByteRanges(key, 0, key.length, this.bytes, 0, this.length);
  }

  /** `compareWith` of `length` bytes of `bytes` from `start`, without a view of them. */
  compareWithRange(bytes: Uint8Array, start: number, length: number): number {
    return compareByteRanges(bytes, start, length, this.bytes, 0, this.length);
  }

  /** A new array holding the key. Requires: `isSet`. */
  toArray(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}
