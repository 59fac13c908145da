/**
 * Fills one data page: fixed-width slots grow from the front (slot i at 16 + i × width), the
 * heap of this page's out-of-line key and value bytes grows from the back. Pure and
 * synchronous; the table builder decides where overflow chains go and passes references.
 */
import { assert, EntryKind } from '@kv/base';
import {
  OVERFLOW_REF_BYTES,
  PAGE_HEADER_BYTES,
  PageKind,
  SEQ_BYTES,
  SLOT_FLAG_EXPIRING,
  SLOT_FLAG_KEY_OVERFLOW,
  SLOT_FLAG_PUT,
  SLOT_FLAG_VALUE_OVERFLOW,
  VAR_SLOT_FLAGS_AFTER_PREFIX,
  VAR_SLOT_KEY_LENGTH_OFFSET,
  VAR_SLOT_KEY_OFFSET_OFFSET,
  VAR_SLOT_PREFIX_OFFSET,
  VAR_SLOT_SEQ_AFTER_PREFIX,
  VAR_SLOT_VALUE_LENGTH_AFTER_PREFIX,
  VAR_SLOT_VALUE_OFFSET_AFTER_PREFIX,
} from './format.js';
import { sealPage, writePageHeader } from './page-header.js';
import { writeSeq, writeUint64Number } from './seq-field.js';
import type { TableLayout } from './table-layout.js';

/** Where an out-of-line key or value was written: its chain's file range. */
export interface OverflowRef {
  fileOffset: number;
  storedBytes: number;
}

/** One record as the page stores it. A `*Ref` means the bytes live in an overflow chain. */
export interface SlotRecord {
  key: Uint8Array;
  seq: number;
  kind: EntryKind;
  value: Uint8Array;
  keyRef: OverflowRef | undefined;
  valueRef: OverflowRef | undefined;
}

export class DataPageBuilder {
  private readonly layout: TableLayout;
  private page: Uint8Array;
  private view: DataView;
  private slots = 0;
  private heapBytes = 0;

  constructor(layout: TableLayout) {
    this.layout = layout;
    this.page = new Uint8Array(layout.pageSizeBytes);
    this.view = new DataView(this.page.buffer);
  }

  get slotCount(): number {
    return this.slots;
  }

  /** Bytes a record takes in a page (slot plus heap), for `fits`. */
  pageBytesOf(record: SlotRecord): number {
    if (this.layout.fixedWidth !== undefined) return this.layout.slotWidthBytes;
    const k = this.layout.inlineKeyBytes;
    const keyHeap = record.keyRef !== undefined ? OVERFLOW_REF_BYTES : record.key.length > k ? record.key.length : 0;
    const valueHeap = record.valueRef !== undefined ? OVERFLOW_REF_BYTES : record.value.length;
    return this.layout.slotWidthBytes + keyHeap + valueHeap;
  }

  /** True when a record of `recordBytes` (from `pageBytesOf`) fits the free space. */
  fits(recordBytes: number): boolean {
    const used = PAGE_HEADER_BYTES + this.slots * this.layout.slotWidthBytes + this.heapBytes;
    return used + recordBytes <= this.layout.pageSizeBytes;
  }

  /** Appends a record. Requires: `fits(pageBytesOf(record))`. */
  add(record: SlotRecord): void {
    assert(this.fits(this.pageBytesOf(record)), 'record fits the page');
    const offset = PAGE_HEADER_BYTES + this.slots * this.layout.slotWidthBytes;
    if (this.layout.fixedWidth !== undefined) this.writeFixedSlot(offset, record);
    else this.writeVariableSlot(offset, record);
    this.slots++;
  }

  /** Seals the page (header and checksum) and returns its image; the builder starts a new page. */
  finish(ordinal: number): Uint8Array {
    assert(this.slots > 0, 'a data page holds at least one record');
    const page = this.page;
    writePageHeader(page, { kind: PageKind.Data, count: this.slots, id: ordinal, extra: this.heapBytes });
    sealPage(page);
    this.page = new Uint8Array(this.layout.pageSizeBytes);
    this.view = new DataView(this.page.buffer);
    this.slots = 0;
    this.heapBytes = 0;
    return page;
  }

  private writeFixedSlot(offset: number, record: SlotRecord): void {
    const keySize = this.layout.fixedWidth?.keySize ?? 0;
    this.page.set(record.key, offset);
    writeSeq(this.view, offset + keySize, record.seq);
    this.page[offset + keySize + SEQ_BYTES] = record.kind;
    // A delete's value stays zero: the page is zero-filled when allocated.
    if (record.kind === EntryKind.Put) this.page.set(record.value, offset + keySize + SEQ_BYTES + 1);
  }

  private writeVariableSlot(offset: number, record: SlotRecord): void {
    const k = this.layout.inlineKeyBytes;
    const key = record.key;
    const after = offset + VAR_SLOT_PREFIX_OFFSET + k;
    let flags = record.kind === EntryKind.Put ? SLOT_FLAG_PUT : record.kind === EntryKind.PutExpiring ? SLOT_FLAG_PUT | SLOT_FLAG_EXPIRING : 0;
    this.view.setUint16(offset + VAR_SLOT_KEY_LENGTH_OFFSET, key.length, true);
    this.page.set(key.length > k ? key.subarray(0, k) : key, offset + VAR_SLOT_PREFIX_OFFSET);
    if (record.keyRef !== undefined) flags |= SLOT_FLAG_KEY_OVERFLOW;
    const keyHeap = record.keyRef !== undefined ? this.pushRef(record.keyRef) : key.length > k ? this.pushBytes(key) : 0;
    this.view.setUint16(offset + VAR_SLOT_KEY_OFFSET_OFFSET, keyHeap, true);
    writeSeq(this.view, after + VAR_SLOT_SEQ_AFTER_PREFIX, record.seq);
    if (record.valueRef !== undefined) flags |= SLOT_FLAG_VALUE_OVERFLOW;
    this.page[after + VAR_SLOT_FLAGS_AFTER_PREFIX] = flags;
    const valueHeap = record.valueRef !== undefined ? this.pushRef(record.valueRef) : this.pushBytes(record.value);
    this.view.setUint16(after + VAR_SLOT_VALUE_OFFSET_AFTER_PREFIX, valueHeap, true);
    this.view.setUint32(after + VAR_SLOT_VALUE_LENGTH_AFTER_PREFIX, record.value.length, true);
  }

  /** Copies bytes into the heap and returns their page offset; 0 for empty input (no heap use). */
  private pushBytes(bytes: Uint8Array): number {
    if (bytes.length === 0) return 0;
    this.heapBytes += bytes.length;
    const at = this.layout.pageSizeBytes - this.heapBytes;
    this.page.set(bytes, at);
    return at;
  }

  private pushRef(ref: OverflowRef): number {
    this.heapBytes += OVERFLOW_REF_BYTES;
    const at = this.layout.pageSizeBytes - this.heapBytes;
    writeUint64Number(this.view, at, ref.fileOffset);
    this.view.setUint32(at + 8, ref.storedBytes, true);
    return at;
  }
}
