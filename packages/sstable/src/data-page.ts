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
import type { InternalEntry, MutableInternalEntry, SeqNum } from '@kv/base';
import { checkSlots } from './check-slots.js';
import { PageKind, SLOT_FLAG_EXPIRING, SLOT_FLAG_KEY_OVERFLOW, SLOT_FLAG_PUT, SLOT_FLAG_VALUE_OVERFLOW } from './format.js';
import { checkPage } from './page-header.js';
import { layoutGeometry, readDescriptor, readUintLE } from './page-geometry.js';
import type { PageGeometry } from './page-geometry.js';
import type { KeyScratch } from './key-scratch.js';
import type { TableLayout } from './table-layout.js';

/** Resolves out-of-line references; the table file implements it with a synchronous read. */
export interface OverflowSource {
  /** The `length` bytes of the chain referenced at page offset `refOffset` of `page`. */
  readOverflow(page: DataPage, refOffset: number, length: number): Uint8Array;
}

const EMPTY: Uint8Array = new Uint8Array(0);


export class DataPage {
  // Reassigned only when `decode` reuses the object for another page (see `decode`).
  private image: Uint8Array;
  private dataView: DataView;
  private layout: TableLayout;
  private count = 0;
  private pageOrdinal = 0;
  // The geometry's fields, flat for the hot paths; the page keeps no geometry object.
  private slotBase = 0;
  private slotWidth = 0;
  private prefixStart = 0;
  private prefixLength = 0;
  private keyLengthWidth = 0;
  private uniformSuffixLength = 0;
  private keyOffsetAt = 0;
  private suffixAt = 0;
  private suffixWidth = 0;
  private seqAt = 0;
  private seqWidth = 0;
  private seqBase = 0;
  private flagsAt = 0;
  private valuesInline = false;
  private valueAt = 0;
  private valueLengthAt = 0;
  private valueLengthWidth = 0;
  private uniformValueLength = 0;
  /**
   * Block-cache bookkeeping (see BlockCache): the iterator steps that may still hold views into
   * this page, and whether the page becomes a spare once the last of them lets go.
   */
  pins = 0;
  spareWhenUnpinned = false;

  private constructor(image: Uint8Array, layout: TableLayout, geometry: PageGeometry, slotCount: number, ordinal: number) {
    this.image = image;
    this.dataView = new DataView(image.buffer, image.byteOffset, image.length);
    this.layout = layout;
    this.assign(image, layout, geometry, slotCount, ordinal);
  }

  /**
   * Verifies the checksum, header, descriptor and every slot's references, then wraps the
   * image: in a new page object, or in `reuse`, a page object nobody holds any more (a spare
   * of the block cache: a page that left it once no transient lookup could still read it and no
   * iterator pinned it; or the scratch page of point lookups), so a cache miss allocates no
   * object that outlives it. `reuse` changes only
   * once the image passed every check.
   */
  static decode(image: Uint8Array, layout: TableLayout, ordinal: number, where: string, reuse?: DataPage): DataPage {
    const header = checkPage(image, { kind: PageKind.Data, id: ordinal }, where);
    const geometry = layout.compactPages ? readDescriptor(image, where) : layoutGeometry(layout);
    checkSlots(image, { layout, geometry, slotCount: header.count, heapBytes: header.extra }, where);
    if (reuse === undefined) return new DataPage(image, layout, geometry, header.count, ordinal);
    reuse.assign(image, layout, geometry, header.count, ordinal);
    return reuse;
  }

  /** The verified page image. Its bytes never change while anyone may read the page. */
  get bytes(): Uint8Array {
    return this.image;
  }

  /** A DataView over `bytes`. */
  get view(): DataView {
    return this.dataView;
  }

  get slotCount(): number {
    return this.count;
  }

  /** The page's position among the file's data pages. */
  get ordinal(): number {
    return this.pageOrdinal;
  }

  /** The slot geometry, decoded again from the page (for tests and diagnostics; the hot paths use the flat fields). */
  get geometry(): PageGeometry {
    return this.layout.compactPages ? readDescriptor(this.image, `data page ${this.pageOrdinal}`) : layoutGeometry(this.layout);
  }

  private assign(image: Uint8Array, layout: TableLayout, geometry: PageGeometry, slotCount: number, ordinal: number): void {
    if (image !== this.image) {
      this.image = image;
      this.dataView = new DataView(image.buffer, image.byteOffset, image.length);
    }
    this.layout = layout;
    this.count = slotCount;
    this.pageOrdinal = ordinal;
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

  /** Byte offset of slot `i`: computed, never scanned for. */
  slotOffset(i: number): number {
    return this.slotBase + i * this.slotWidth;
  }

  seqOf(i: number): number {
    return this.seqBase + readUintLE(this.image, this.slotOffset(i) + this.seqAt, this.seqWidth);
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
    if (byPrefix !== 0) return byPrefix > 0 ? 0 : this.count;
    let low = 0;
    let high = this.count;
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
    return this.keyIn(i, overflow, undefined);
  }

  /**
   * `keyOf`, but a key made of prefix and suffix is assembled in `scratch` (when given) rather
   * than in a new array, so it is valid only until `scratch` is used again.
   */
  keyIn(i: number, overflow: OverflowSource, scratch: KeyScratch | undefined): Uint8Array {
    const offset = this.slotOffset(i);
    const length = this.suffixLengthAt(offset);
    if ((this.flagsAtSlot(offset) & SLOT_FLAG_KEY_OVERFLOW) !== 0) {
      return overflow.readOverflow(this, this.keyHeapOffsetAt(offset), this.prefixLength + length);
    }
    const suffixStart = length <= this.suffixWidth ? offset + this.suffixAt : this.keyHeapOffsetAt(offset);
    if (this.prefixLength === 0) return this.image.subarray(suffixStart, suffixStart + length);
    const key = scratch === undefined ? new Uint8Array(this.prefixLength + length) : scratch.arrayOf(this.prefixLength + length);
    copyBytes(key, 0, this.image, this.prefixStart, this.prefixLength);
    copyBytes(key, this.prefixLength, this.image, suffixStart, length);
    return key;
  }

  /** Slot i's value: a view into the page, or a new array for an overflow value. */
  valueOf(i: number, overflow: OverflowSource): Uint8Array {
    const offset = this.slotOffset(i);
    const flags = this.flagsAtSlot(offset);
    if ((flags & SLOT_FLAG_PUT) === 0) return EMPTY;
    const length = this.valueLengthOf(offset);
    if (this.valuesInline) return this.image.subarray(offset + this.valueAt, offset + this.valueAt + length);
    const heapOffset = this.dataView.getUint16(offset + this.valueAt, true);
    if ((flags & SLOT_FLAG_VALUE_OVERFLOW) !== 0) return overflow.readOverflow(this, heapOffset, length);
    return this.image.subarray(heapOffset, heapOffset + length);
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

  /**
   * Rewrites `into` with slot i, its key assembled in `scratch` (see `keyIn`): for a scan that
   * copies what it keeps, so a step allocates no entry and no key.
   */
  fillEntry(i: number, overflow: OverflowSource, into: MutableInternalEntry, scratch: KeyScratch): MutableInternalEntry {
    into.key = this.keyIn(i, overflow, scratch);
    into.seq = this.seqOf(i) as SeqNum;
    into.kind = this.kindOf(i);
    into.value = this.valueOf(i, overflow);
    into.keyOwned = false;
    return into;
  }

  /** Page offsets and lengths of every overflow reference, for `verify`. */
  overflowRefs(): { refOffset: number; length: number }[] {
    const refs: { refOffset: number; length: number }[] = [];
    if (this.flagsAt < 0) return refs;
    for (let i = 0; i < this.count; i++) {
      const offset = this.slotOffset(i);
      const flags = this.flagsAtSlot(offset);
      if ((flags & SLOT_FLAG_KEY_OVERFLOW) !== 0) refs.push({ refOffset: this.keyHeapOffsetAt(offset), length: this.prefixLength + this.suffixLengthAt(offset) });
      if ((flags & SLOT_FLAG_VALUE_OVERFLOW) !== 0) refs.push({ refOffset: this.dataView.getUint16(offset + this.valueAt, true), length: this.valueLengthOf(offset) });
    }
    return refs;
  }

  /** The flags of the slot at `offset`; a page without a flags byte holds plain puts only. */
  private flagsAtSlot(offset: number): number {
    return this.flagsAt < 0 ? SLOT_FLAG_PUT : (this.image[offset + this.flagsAt] as number);
  }

  /** Length of the key after the shared prefix, for the slot at `offset`. */
  suffixLengthAt(offset: number): number {
    const width = this.keyLengthWidth;
    if (width === 0) return this.uniformSuffixLength;
    const bytes = this.image;
    return width === 1 ? (bytes[offset] as number) : (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
  }

  /** The heap offset of a long suffix or of an overflow key's reference; 0 when the slot has none. */
  keyHeapOffsetAt(offset: number): number {
    return this.keyOffsetAt < 0 ? 0 : this.dataView.getUint16(offset + this.keyOffsetAt, true);
  }

  /** A put's value length for the slot at `offset` (the slot's field or the page's uniform length). */
  valueLengthOf(offset: number): number {
    return this.valueLengthAt < 0 ? this.uniformValueLength : readUintLE(this.image, offset + this.valueLengthAt, this.valueLengthWidth);
  }

  /** 0 when `key` starts with the shared prefix; else the order of every slot's key against `key`. */
  private comparePrefix(key: Uint8Array): number {
    const length = this.prefixLength;
    if (length === 0) return 0;
    const bytes = this.image;
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
    const bytes = this.image;
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
    const source = keyOverflow ? overflow.readOverflow(this, heapOffset, skip + length) : this.image;
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
