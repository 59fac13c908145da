/**
 * A decoded data page: the verified page image plus its slot geometry. Slots are decoded
 * lazily, straight from the bytes, on each access; nothing is allocated to search a page.
 * Immutable once decoded, so the block cache can share it between readers and iterators.
 */
import { EntryKind } from '@kv/base';
import type { InternalEntry, SeqNum } from '@kv/base';
import { checkSlots } from './check-slots.js';
import {
  PAGE_HEADER_BYTES,
  PageKind,
  SEQ_BYTES,
  SLOT_FLAG_EXPIRING,
  SLOT_FLAG_KEY_OVERFLOW,
  SLOT_FLAG_PUT,
  SLOT_FLAG_VALUE_OVERFLOW,
  VAR_SLOT_FLAGS_AFTER_PREFIX,
  VAR_SLOT_PREFIX_OFFSET,
} from './format.js';
import { checkPage } from './page-header.js';
import { readSeq } from './seq-field.js';
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
  private readonly fixed: boolean;
  private readonly slotWidth: number;
  /** Fixed mode: key width. Variable mode: K, the inline prefix width. */
  private readonly keyWidth: number;

  private constructor(image: Uint8Array, layout: TableLayout, slotCount: number, ordinal: number) {
    this.bytes = image;
    this.view = new DataView(image.buffer, image.byteOffset, image.length);
    this.slotCount = slotCount;
    this.ordinal = ordinal;
    this.fixed = layout.fixedWidth !== undefined;
    this.slotWidth = layout.slotWidthBytes;
    this.keyWidth = layout.fixedWidth?.keySize ?? layout.inlineKeyBytes;
  }

  /** Verifies the checksum, header and every slot's references, then wraps the image. */
  static decode(image: Uint8Array, layout: TableLayout, ordinal: number, where: string): DataPage {
    const header = checkPage(image, { kind: PageKind.Data, id: ordinal }, where);
    checkSlots(image, { layout, slotCount: header.count, heapBytes: header.extra }, where);
    return new DataPage(image, layout, header.count, ordinal);
  }

  /** Byte offset of slot `i`: computed, never scanned for. */
  slotOffset(i: number): number {
    return PAGE_HEADER_BYTES + i * this.slotWidth;
  }

  seqOf(i: number): number {
    return readSeq(this.view, this.slotOffset(i) + this.keyWidth + (this.fixed ? 0 : VAR_SLOT_PREFIX_OFFSET));
  }

  kindOf(i: number): EntryKind {
    const flags = this.bytes[this.slotOffset(i) + this.keyWidth + (this.fixed ? 0 : VAR_SLOT_PREFIX_OFFSET) + SEQ_BYTES] as number;
    if (this.fixed) return flags as EntryKind;
    if ((flags & SLOT_FLAG_PUT) === 0) return EntryKind.Delete;
    return (flags & SLOT_FLAG_EXPIRING) === 0 ? EntryKind.Put : EntryKind.PutExpiring;
  }

  /** Compares slot i's user key with `key`: negative when the slot's key sorts first. */
  compareKey(i: number, key: Uint8Array, overflow: OverflowSource): number {
    const bytes = this.bytes;
    const offset = this.slotOffset(i);
    if (this.fixed) return compareRange(bytes, { start: offset, length: this.keyWidth }, key, 0);
    const length = (bytes[offset] as number) | ((bytes[offset + 1] as number) << 8);
    const k = this.keyWidth;
    const inline = length < k ? length : k;
    const common = inline < key.length ? inline : key.length;
    const prefixStart = offset + VAR_SLOT_PREFIX_OFFSET;
    for (let j = 0; j < common; j++) {
      const diff = (bytes[prefixStart + j] as number) - (key[j] as number);
      if (diff !== 0) return diff;
    }
    if (common < inline || length <= k) return length - key.length;
    return this.compareLongKey(i, key, overflow);
  }

  /** Compares slot i's internal key with (key, seq) in internal order. */
  compare(i: number, key: Uint8Array, seq: number, overflow: OverflowSource): number {
    const byKey = this.compareKey(i, key, overflow);
    return byKey !== 0 ? byKey : seq - this.seqOf(i);
  }

  /** The first slot at or after (key, seq) (`inclusive`) or strictly after it; slotCount if none. */
  search(key: Uint8Array, seq: number, inclusive: boolean, overflow: OverflowSource): number {
    let low = 0;
    let high = this.slotCount;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const order = this.compare(mid, key, seq, overflow);
      if (order < 0 || (order === 0 && !inclusive)) low = mid + 1;
      else high = mid;
    }
    return low;
  }

  /** Slot i's user key: a view into the page, or a new array for an overflow key. */
  keyOf(i: number, overflow: OverflowSource): Uint8Array {
    const offset = this.slotOffset(i);
    if (this.fixed) return this.bytes.subarray(offset, offset + this.keyWidth);
    const length = this.view.getUint16(offset, true);
    if (length <= this.keyWidth) return this.bytes.subarray(offset + VAR_SLOT_PREFIX_OFFSET, offset + VAR_SLOT_PREFIX_OFFSET + length);
    const heapOffset = this.view.getUint16(offset + 2, true);
    if ((this.flagsOf(i) & SLOT_FLAG_KEY_OVERFLOW) !== 0) return overflow.readOverflow(this, heapOffset, length);
    return this.bytes.subarray(heapOffset, heapOffset + length);
  }

  /** Slot i's value: a view into the page, or a new array for an overflow value. */
  valueOf(i: number, overflow: OverflowSource): Uint8Array {
    const offset = this.slotOffset(i);
    if (this.fixed) {
      if (this.kindOf(i) === EntryKind.Delete) return EMPTY;
      const start = offset + this.keyWidth + SEQ_BYTES + 1;
      return this.bytes.subarray(start, start + this.slotWidth - this.keyWidth - SEQ_BYTES - 1);
    }
    const after = offset + VAR_SLOT_PREFIX_OFFSET + this.keyWidth;
    const heapOffset = this.view.getUint16(after + 8, true);
    const length = this.view.getUint32(after + 10, true);
    if ((this.flagsOf(i) & SLOT_FLAG_VALUE_OVERFLOW) !== 0) return overflow.readOverflow(this, heapOffset, length);
    return this.bytes.subarray(heapOffset, heapOffset + length);
  }

  /** A new entry object for slot i (key and value are views where possible). */
  entryAt(i: number, overflow: OverflowSource): InternalEntry {
    return { key: this.keyOf(i, overflow), seq: this.seqOf(i) as SeqNum, kind: this.kindOf(i), value: this.valueOf(i, overflow) };
  }

  /** Page offsets and lengths of every overflow reference, for `verify`. */
  overflowRefs(): { refOffset: number; length: number }[] {
    const refs: { refOffset: number; length: number }[] = [];
    if (this.fixed) return refs;
    for (let i = 0; i < this.slotCount; i++) {
      const offset = this.slotOffset(i);
      const after = offset + VAR_SLOT_PREFIX_OFFSET + this.keyWidth;
      const flags = this.flagsOf(i);
      if ((flags & SLOT_FLAG_KEY_OVERFLOW) !== 0) refs.push({ refOffset: this.view.getUint16(offset + 2, true), length: this.view.getUint16(offset, true) });
      if ((flags & SLOT_FLAG_VALUE_OVERFLOW) !== 0) refs.push({ refOffset: this.view.getUint16(after + 8, true), length: this.view.getUint32(after + 10, true) });
    }
    return refs;
  }

  private flagsOf(i: number): number {
    return this.bytes[this.slotOffset(i) + VAR_SLOT_PREFIX_OFFSET + this.keyWidth + VAR_SLOT_FLAGS_AFTER_PREFIX] as number;
  }

  /** Keys longer than K: compare the rest from the heap copy (or the overflow chain). */
  private compareLongKey(i: number, key: Uint8Array, overflow: OverflowSource): number {
    const offset = this.slotOffset(i);
    const length = this.view.getUint16(offset, true);
    const heapOffset = this.view.getUint16(offset + 2, true);
    if ((this.flagsOf(i) & SLOT_FLAG_KEY_OVERFLOW) !== 0) {
      const full = overflow.readOverflow(this, heapOffset, length);
      return compareRange(full, { start: 0, length }, key, this.keyWidth);
    }
    return compareRange(this.bytes, { start: heapOffset, length }, key, this.keyWidth);
  }
}

/** Compares bytes[start .. start+length) with `key`, both from position `from` on. */
function compareRange(bytes: Uint8Array, range: { start: number; length: number }, key: Uint8Array, from: number): number {
  const common = range.length < key.length ? range.length : key.length;
  const start = range.start;
  for (let j = from; j < common; j++) {
    const diff = (bytes[start + j] as number) - (key[j] as number);
    if (diff !== 0) return diff;
  }
  return range.length - key.length;
}
