/**
 * Reads the varints and byte strings of one encoded edit. Every failure is a
 * `CorruptionError` naming the edit and the offset, because the bytes came from disk.
 */
import { CorruptionError, decodeVarint } from '@kv/base';

export class EditCursor {
  private offset = 0;

  private readonly source: Uint8Array;
  private readonly where: string;

  constructor(source: Uint8Array, where: string) {
    this.source = source;
    this.where = where;
  }

  get atEnd(): boolean {
    return this.offset >= this.source.length;
  }

  get position(): number {
    return this.offset;
  }

  varint(field: string): number {
    const decoded = decodeVarint(this.source, this.offset);
    if (decoded === undefined) this.fail(`${field}: truncated, overlong or oversized varint`);
    this.offset = decoded.next;
    return decoded.value;
  }

  /** A length-prefixed byte string of at most `lengthMax` bytes, copied. */
  bytes(field: string, lengthMax: number): Uint8Array {
    const length = this.varint(`${field} length`);
    if (length > lengthMax) this.fail(`${field}: length ${length} exceeds ${lengthMax}`);
    if (this.offset + length > this.source.length) this.fail(`${field}: runs past the end of the edit`);
    const value = this.source.slice(this.offset, this.offset + length);
    this.offset += length;
    return value;
  }

  fail(detail: string): never {
    throw new CorruptionError(this.where, `edit offset ${this.offset}: ${detail}`);
  }
}
