/**
 * A decoded data page: the verified page image plus its slot geometry. Slots are decoded
 * lazily, straight from the bytes, on each access; nothing is allocated to search a page.
 * Immutable once decoded, so the block cache can share it between readers and iterators.
 *
 * A key is the page's shared prefix followed by the slot's suffix: the first `suffixWidth`
 * suffix bytes are in the slot, a longer suffix is whole in the heap (or, for a key too big for
 * the page, the whole key is in an overflow chain).
 */
import { copyBytes, EntryKind } from '@kv/base';
import type { InternalEntry, SeqNum } from '@kv/base';
import { checkSlots } from './check-slots.js';
import { PageKind, SLOT_FLAG_EXPIRING, SLOT_FLAG_KEY_OVERFLOW, SLOT_FLAG_PUT, SLOT_FLAG_VALUE_OVERFLOW } from './format.js';
import { checkPage } from './page-header.js';
import { layoutGeometry, readDescriptor, readUintLE } from './page-geometry.js';
import type { PageGeometry } from './page-geometry.js';
import type { TableLayout } from './table-layout.js';

/** Resolves out-of-line references; the table file implements it with a synchronous read. */
export interface OverflowSource {
  /** The `length` bytes of the chain referenced at page offset `refOffset` of `page`. */
  readOverflow(page: DataPage, refOffset: number, length: number): Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);

export class DataPage {
  readonly bytes: Uint8Array;
  readonly view: DataView;
  readonly slotCount: number;
  readonly ordinal: number;
  readonly geometry: PageGeometry;
  // The geometry's fields, copied flat for the hot paths.
  private readonly slotBase: number;
  private readonly slotWidth: number;
  private readonly prefixStart: number;
  private readonly prefixLength: number;
  private readonly keyLengthWidth: number;
  private readonly uniformSuffixLength: number;
  private readonly keyOffsetAt: number;
  private readonly suffixAt: number;
  private readonly suffixWidth: number;
  private readonly seqAt: number;
  private readonly seqWidth: number;
  private readonly seqBase: number;
  private readonly flagsAt: number;
  private readonly valuesInline: boolean;
  private readonly valueAt: number;
  private readonly valueLengthAt: number;
  private readonly valueLengthWidth: number;
  private readonly uniformValueLength: number;

  private constructor(image: Uint8Array, geometry: PageGeometry, slotCount: number, ordinal: number) {
    this.bytes = image;
    this.view = new DataView(image.buffer, image.byteOffset, image.length);
    this.slotCount = slotCount;
    this.ordinal = ordinal;
    this.geometry = geometry;
    this.slotBase = geometry.slotBase;
    this.slotWidth = geometry.slotWidth;
    this.prefixStart = geometry.prefixStart;
    this.prefixLength = geometry.prefixLength;
    this.keyLengthWidth = geometry.keyLengthWidth;
    this.uniformSuffixLength = geometry.uniformSuffixLength;
    this.keyOffsetAt = geometry.keyOffsetAt;
    this.suffixAt = geometry.suffixAt;
    this.suffixWidth = geometry.suffixWidth;
    this.seqAt = geometry.seqAt;
    this.seqWidth = geometry.seqWidth;
    this.seqBase = geometry.seqBase;
    this.flagsAt = geometry.flagsAt;
    this.valuesInline = geometry.valuesInline;
    this.valueAt = geometry.valueAt;
    this.valueLengthAt = geometry.valueLengthAt;
    this.valueLengthWidth = geometry.valueLengthWidth;
    this.uniformValueLength = geometry.uniformValueLength;
  }

  /** Verifies the checksum, header, descriptor and every slot's references, then wraps the image. */
  static decode(image: Uint8Array, layout: TableLayout, ordinal: number, where: string): DataPage {
    const header = checkPage(image, { kind: PageKind.Data, id: ordinal }, where);
    const geometry = layout.compactPages ? readDescriptor(image, where) : layoutGeometry(layout);
    checkSlots(image, { layout, geometry, slotCount: header.count, heapBytes: header.extra }, where);
    return new DataPage(image, geometry, header.count, ordinal);
  }

  /** Byte offset of slot `i`: computed, never scanned for. */
  slotOffset(i: number): number {
    return this.slotBase + i * this.slotWidth;
  }

  seqOf(i: number): number {
    return this.seqBase + readUintLE(this.bytes, this.slotOffset(i) + this.seqAt, this.seqWidth);
  }

  kindOf(i: number): EntryKind {
    const flags = this.flagsAtSlot(this.slotOffset(i));
    if ((flags & SLOT_FLAG_PUT) === 0) return EntryKind.Delete;
    return (flags & SLOT_FLAG_EXPIRING) === 0 ? EntryKind.Put : EntryKind.PutExpiring;
  }

  /** Compares slot i's user key with `key`: negative when the slot's key sorts first. */
  compareKey(i: number, key: Uint8Array, overflow: OverflowSource): number {
    const byPrefix = this.comparePrefix(key);
    return byPrefix !== 0 ? byPrefix : this.compareSuffix(i, key, overflow);
  }

  /** The first slot at or after (key, seq) (`inclusive`) or strictly after it; slotCount if none. */
  search(key: Uint8Array, seq: number, inclusive: boolean, overflow: OverflowSource): number {
    const byPrefix = this.comparePrefix(key);
    if (byPrefix !== 0) return byPrefix > 0 ? 0 : this.slotCount;
    let low = 0;
    let high = this.slotCount;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const byKey = this.compareSuffix(mid, key, overflow);
      const order = byKey !== 0 ? byKey : seq - this.seqOf(mid);
      if (order < 0 || (order === 0 && !inclusive)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Slot i's user key: a view into the page where it lies whole there, else a new array. */
  keyOf(i: number, overflow: OverflowSource): Uint8Array {
    const offset = this.slotOffset(i);
    const length = this.suffixLengthAt(offset);
    if ((this.flagsAtSlot(offset) & SLOT_FLAG_KEY_OVERFLOW) !== 0) {
      return overflow.readOverflow(this, this.keyHeapOffsetAt(offset), this.prefixLength + length);
    }
    const suffixStart = length <= this.suffixWidth ? offset + this.suffixAt : this.keyHeapOffsetAt(offset);
    if (this.prefixLength === 0) return this.bytes.subarray(suffixStart, suffixStart + length);
    const key = new Uint8Array(this.prefixLength + length);
    copyBytes(key, 0, this.bytes, this.prefixStart, this.prefixLength);
    copyBytes(key, this.prefixLength, this.bytes, suffixStart, length);
    return key;
  }

  /** Slot i's value: a view into the page, or a new array for an overflow value. */
  valueOf(i: number, overflow: OverflowSource): Uint8Array {
    const offset = this.slotOffset(i);
    const flags = this.flagsAtSlot(offset);
    if ((flags & SLOT_FLAG_PUT) === 0) return EMPTY;
    const length = this.valueLengthOf(offset);
    if (this.valuesInline) return this.bytes.subarray(offset + this.valueAt, offset + this.valueAt + length);
    const heapOffset = this.view.getUint16(offset + this.valueAt, true);
    if ((flags & SLOT_FLAG_VALUE_OVERFLOW) !== 0) return overflow.readOverflow(this, heapOffset, length);
    return this.bytes.subarray(heapOffset, heapOffset + length);
  }

  /** A new entry object for slot i (key and value are views where possible). */
  entryAt(i: number, overflow: OverflowSource): InternalEntry {
    // With a shared prefix, keyOf assembles the key in a new array: the consumer may keep it.
    return this.entryWithKey(i, this.keyOf(i, overflow), overflow, this.prefixLength > 0);
  }

  /** `entryAt` for a caller that holds slot i's key already (a point read that matched it). */
  entryWithKey(i: number, key: Uint8Array, overflow: OverflowSource, keyOwned = false): InternalEntry {
    return { key, seq: this.seqOf(i) as SeqNum, kind: this.kindOf(i), value: this.valueOf(i, overflow), keyOwned };
  }

  /** Page offsets and lengths of every overflow reference, for `verify`. */
  overflowRefs(): { refOffset: number; length: number }[] {
    const refs: { refOffset: number; length: number }[] = [];
    if (this.flagsAt < 0) return refs;
    for (let i = 0; i < this.slotCount; i++) {
      const offset = this.slotOffset(i);
      const flags = this.flagsAtSlot(offset);
      if ((flags & SLOT_FLAG_KEY_OVERFLOW) !== 0) refs.push({ refOffset: this.keyHeapOffsetAt(offset), length: this.prefixLength + this.suffixLengthAt(offset) });
      if ((flags & SLOT_FLAG_VALUE_OVERFLOW) !== 0) refs.push({ refOffset: this.view.getUint16(offset + this.valueAt, true), length: this.valueLengthOf(offset) });
    }
    return refs;
  }

  /** The flags of the slot at `offset`; a page without a flags byte holds plain puts only. */
  private flagsAtSlot(offset: number): number {
    return this.flagsAt < 0 ? SLOT_FLAG_PUT : (this.bytes[offset + this.flagsAt] as number);
  }

  /** Length of the key after the shared prefix, for the slot at `offset`. */
  suffixLengthAt(offset: number): number {
    const width = this.keyLengthWidth;
    if (width === 0) return this.uniformSuffixLength;
    const bytes = this.bytes;
    return width === 1 ? (bytes[offset] as number) : (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
  }

  /** The heap offset of a long suffix or of an overflow key's reference; 0 when the slot has none. */
  keyHeapOffsetAt(offset: number): number {
    return this.keyOffsetAt < 0 ? 0 : this.view.getUint16(offset + this.keyOffsetAt, true);
  }

  /** A put's value length for the slot at `offset` (the slot's field or the page's uniform length). */
  valueLengthOf(offset: number): number {
    return this.valueLengthAt < 0 ? this.uniformValueLength : readUintLE(this.bytes, offset + this.valueLengthAt, this.valueLengthWidth);
  }

  /** 0 when `key` starts with the shared prefix; else the order of every slot's key against `key`. */
  private comparePrefix(key: Uint8Array): number {
    const length = this.prefixLength;
    if (length === 0) return 0;
    const bytes = this.bytes;
    const start = this.prefixStart;
    const common = length < key.length ? length : key.length;
    for (let j = 0; j < common; j++) {
      const diff = (bytes[start + j] as number) - (key[j] as number);
      if (diff !== 0) return diff;
    }
    // A key that is a proper prefix of the shared prefix sorts before every key of the page.
    return common < length ? 1 : 0;
  }

  /** Compares slot i's suffix with `key` after the shared prefix. Requires: `key` starts with the prefix. */
  private compareSuffix(i: number, key: Uint8Array, overflow: OverflowSource): number {
    const bytes = this.bytes;
    const offset = this.slotOffset(i);
    const length = this.suffixLengthAt(offset);
    const skip = this.prefixLength;
    const rest = key.length - skip;
    const width = this.suffixWidth;
    const inline = length < width ? length : width;
    const common = inline < rest ? inline : rest;
    const start = offset + this.suffixAt;
    for (let j = 0; j < common; j++) {
      const diff = (bytes[start + j] as number) - (key[skip + j] as number);
      if (diff !== 0) return diff;
    }
    if (common < inline || length <= width) return length - rest;
    return this.compareLongSuffix(offset, { key, length, from: width }, overflow);
  }

  /** Suffixes longer than the slot holds: compare the rest from the heap copy or the overflow chain. */
  private compareLongSuffix(offset: number, compared: { key: Uint8Array; length: number; from: number }, overflow: OverflowSource): number {
    const heapOffset = this.keyHeapOffsetAt(offset);
    const skip = this.prefixLength;
    const { key, length, from } = compared;
    const keyOverflow = (this.flagsAtSlot(offset) & SLOT_FLAG_KEY_OVERFLOW) !== 0;
    // The heap holds the suffix; an overflow chain holds the whole key.
    const source = keyOverflow ? overflow.readOverflow(this, heapOffset, skip + length) : this.bytes;
    const start = keyOverflow ? skip : heapOffset;
    const rest = key.length - skip;
    const common = length < rest ? length : rest;
    for (let j = from; j < common; j++) {
      const diff = (source[start + j] as number) - (key[skip + j] as number);
      if (diff !== 0) return diff;
    }
    return length - rest;
  }
}
