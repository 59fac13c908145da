/**
 * Fills one data page. Records are staged as they are added; `finish` lays them out: slots
 * from the front (slot i at slotBase + i × width), the heap of this page's out-of-line key and
 * value bytes from the back. A compact (version 3) page chooses its slot fields for its own
 * records (`PagePlan`) and starts with a descriptor; other pages use the file's layout. Pure and
 * synchronous; the table builder decides where overflow chains go and passes references.
 */
import { assert, copyBytes, EntryKind, moveBytes } from '@kv/base';
import { OVERFLOW_REF_BYTES, PAGE_HEADER_BYTES, PageKind, SLOT_FLAG_EXPIRING, SLOT_FLAG_KEY_OVERFLOW, SLOT_FLAG_PUT, SLOT_FLAG_VALUE_OVERFLOW } from './format.js';
import { sealPage, writePageHeader } from './page-header.js';
import { keyHeapBytes, layoutGeometry, resolveGeometry, writeDescriptor, writeUintLE } from './page-geometry.js';
import type { PageGeometry } from './page-geometry.js';
import { PLANNED_KEY_BYTES_MAX, PagePlan } from './page-plan.js';
import type { PlannedRecord } from './page-plan.js';
import { writeUint64Number } from './seq-field.js';
import type { TableLayout } from './table-layout.js';

/** Where an out-of-line key or value was written: its chain's file range. */
export interface OverflowRef {
  fileOffset: number;
  storedBytes: number;
}

/**
 * One record as the page stores it: its key is `keyLength` bytes of `keyBytes` from `keyStart`,
 * its value likewise (ranges of the caller's arrays, so that no view is made per record). A
 * `*Ref` means the bytes live in an overflow chain.
 */
export interface SlotRecord {
  keyBytes: Uint8Array;
  keyStart: number;
  keyLength: number;
  seq: number;
  kind: EntryKind;
  valueBytes: Uint8Array;
  valueStart: number;
  valueLength: number;
  keyRef: OverflowRef | undefined;
  valueRef: OverflowRef | undefined;
}

/**
 * Records held until the page is laid out, as parallel arrays (no object per record). One
 * array holds the page image being laid out, at [0, pageBytes), and after it the staged key
 * and value bytes, so laying a record out copies within that array (no view per copy).
 */
class StagedRecords {
  count = 0;
  /** The page image, then the staged bytes from `pageBytes` on. */
  work: Uint8Array;
  /** End of the staged bytes in `work`. */
  stagedEnd: number;
  readonly pageBytes: number;
  /** Offsets in `work`. */
  keyAt: number[] = [];
  keyLength: number[] = [];
  valueAt: number[] = [];
  valueLength: number[] = [];
  seq: number[] = [];
  kind: EntryKind[] = [];
  /** References of overflow chains by record index (rare, so not one array entry per record). */
  keyRefs = new Map<number, OverflowRef>();
  valueRefs = new Map<number, OverflowRef>();

  constructor(pageBytes: number, initialStagedBytes: number) {
    this.pageBytes = pageBytes;
    this.work = new Uint8Array(pageBytes + initialStagedBytes);
    this.stagedEnd = pageBytes;
  }

  push(record: SlotRecord): void {
    const i = this.count++;
    // An overflow key keeps only what a shared prefix and the inline suffix can take.
    const keyLength = record.keyRef === undefined ? record.keyLength : Math.min(record.keyLength, PLANNED_KEY_BYTES_MAX);
    this.keyAt[i] = this.copy(record.keyBytes, record.keyStart, keyLength);
    this.keyLength[i] = record.keyLength;
    const put = record.kind !== EntryKind.Delete;
    this.valueAt[i] = put && record.valueRef === undefined ? this.copy(record.valueBytes, record.valueStart, record.valueLength) : 0;
    this.valueLength[i] = put ? record.valueLength : 0;
    this.seq[i] = record.seq;
    this.kind[i] = record.kind;
    if (record.keyRef !== undefined) this.keyRefs.set(i, record.keyRef);
    if (record.valueRef !== undefined) this.valueRefs.set(i, record.valueRef);
  }

  clear(): void {
    this.count = 0;
    this.stagedEnd = this.pageBytes;
    this.keyRefs.clear();
    this.valueRefs.clear();
  }

  /** Copies `length` bytes of `source` from `start` after the staged bytes and returns where they start. */
  private copy(source: Uint8Array, start: number, length: number): number {
    const at = this.stagedEnd;
    if (at + length > this.work.length) {
      const grown = new Uint8Array(Math.max(this.work.length * 2, at + length));
      grown.set(this.work.subarray(0, at));
      this.work = grown;
    }
    copyBytes(this.work, at, source, start, length);
    this.stagedEnd = at + length;
    return at;
  }
}

export class DataPageBuilder {
  private readonly layout: TableLayout;
  /** Compact pages only. */
  private readonly plan: PagePlan | undefined;
  private readonly fixedGeometry: PageGeometry | undefined;
  private readonly records: StagedRecords;
  /** Fixed-geometry pages: bytes used by slots and heap so far. */
  private usedBytes = PAGE_HEADER_BYTES;
  /** The record `fits` measured last (reused by `add` when it is that record). */
  private readonly measured: PlannedRecord = { keyBytes: new Uint8Array(0), keyStart: 0, keyLength: 0, seq: 0, kind: EntryKind.Put, valueLength: 0, keyOverflow: false, valueOverflow: false };
  private measuredValid = false;

  constructor(layout: TableLayout) {
    this.layout = layout;
    this.plan = layout.compactPages ? new PagePlan(layout.inlineKeyBytes) : undefined;
    this.fixedGeometry = layout.compactPages ? undefined : layoutGeometry(layout);
    this.records = new StagedRecords(layout.pageSizeBytes, layout.pageSizeBytes * 2);
  }

  get slotCount(): number {
    return this.records.count;
  }

  /** True when the page has room for `record` (its refs may be placeholders: only their presence counts). */
  fits(record: SlotRecord): boolean {
    return this.bytesWith(record) <= this.layout.pageSizeBytes;
  }

  /** Appends a record. Requires: `fits(record)`. */
  add(record: SlotRecord): void {
    if (this.plan !== undefined) {
      const measured = this.measuredValid && this.isMeasured(record);
      if (!measured) assert(this.fits(record), 'record fits the page');
      this.plan.add(this.measured, true);
    } else {
      this.usedBytes = this.bytesWith(record);
      assert(this.usedBytes <= this.layout.pageSizeBytes, 'record fits the page');
    }
    this.measuredValid = false;
    this.records.push(record);
  }

  /**
   * Lays out, seals (header and checksum) and returns the page image; the builder starts a new
   * page. The image is laid out in the builder's own array: it is valid until the next `add`
   * or `finish` (copy to keep it).
   */
  finish(ordinal: number): Uint8Array {
    const records = this.records;
    assert(records.count > 0, 'a data page holds at least one record');
    // The page is laid out in place at the front of the work array; the caller copies it.
    const page = records.work.subarray(0, records.pageBytes).fill(0);
    let geometry = this.fixedGeometry;
    if (this.plan !== undefined) {
      geometry = resolveGeometry(this.plan.fields(), true);
      writeDescriptor(page, geometry, this.plan.prefix);
    }
    assert(geometry !== undefined, 'a page has a geometry');
    const writer = new SlotWriter(page, geometry, records);
    for (let i = 0; i < records.count; i++) writer.write(i);
    writePageHeader(page, { kind: PageKind.Data, count: records.count, id: ordinal, extra: writer.heapBytes });
    sealPage(page);
    records.clear();
    this.usedBytes = PAGE_HEADER_BYTES;
    this.measuredValid = false;
    this.plan?.reset();
    return page;
  }

  private bytesWith(record: SlotRecord): number {
    if (this.plan !== undefined) {
      const measured = this.measured;
      measured.keyBytes = record.keyBytes;
      measured.keyStart = record.keyStart;
      measured.keyLength = record.keyLength;
      measured.seq = record.seq;
      measured.kind = record.kind;
      measured.valueLength = record.valueLength;
      measured.keyOverflow = record.keyRef !== undefined;
      measured.valueOverflow = record.valueRef !== undefined;
      this.measuredValid = true;
      return this.plan.bytesWith(measured);
    }
    const layout = this.layout;
    if (layout.fixedWidth !== undefined) return this.usedBytes + layout.slotWidthBytes;
    const keyHeap = keyHeapBytes({ bytesAfterPrefix: record.keyLength, overflow: record.keyRef !== undefined }, layout.inlineKeyBytes);
    const valueHeap = record.valueRef !== undefined ? OVERFLOW_REF_BYTES : record.valueLength;
    return this.usedBytes + layout.slotWidthBytes + keyHeap + valueHeap;
  }

  private isMeasured(record: SlotRecord): boolean {
    const m = this.measured;
    return (
      m.keyBytes === record.keyBytes &&
      m.keyStart === record.keyStart &&
      m.keyLength === record.keyLength &&
      m.seq === record.seq &&
      m.kind === record.kind &&
      m.valueLength === record.valueLength &&
      m.keyOverflow === (record.keyRef !== undefined) &&
      m.valueOverflow === (record.valueRef !== undefined)
    );
  }
}

/** Writes staged records into a page image by its geometry; the heap grows down from the end. */
class SlotWriter {
  heapBytes = 0;
  private readonly page: Uint8Array;
  private readonly view: DataView;
  private readonly g: PageGeometry;
  private readonly records: StagedRecords;

  constructor(page: Uint8Array, geometry: PageGeometry, records: StagedRecords) {
    this.page = page;
    this.view = new DataView(page.buffer, page.byteOffset, page.length);
    this.g = geometry;
    this.records = records;
  }

  write(i: number): void {
    const g = this.g;
    const r = this.records;
    const page = this.page;
    const work = r.work;
    const offset = g.slotBase + i * g.slotWidth;
    const suffixLength = (r.keyLength[i] as number) - g.prefixLength;
    const suffixStart = (r.keyAt[i] as number) + g.prefixLength;
    const kind = r.kind[i] as EntryKind;
    const keyRef = r.keyRefs.size === 0 ? undefined : r.keyRefs.get(i);
    const valueRef = r.valueRefs.size === 0 ? undefined : r.valueRefs.get(i);
    writeUintLE(page, offset, g.keyLengthWidth, suffixLength);
    moveBytes(work, offset + g.suffixAt, suffixStart, Math.min(suffixLength, g.suffixWidth));
    const keyHeap = keyRef !== undefined ? this.pushRef(keyRef) : suffixLength > g.suffixWidth ? this.pushStaged(suffixStart, suffixLength) : 0;
    if (g.keyOffsetAt >= 0) this.view.setUint16(offset + g.keyOffsetAt, keyHeap, true);
    else assert(keyHeap === 0, 'a key in the heap needs a key offset field');
    writeUintLE(page, offset + g.seqAt, g.seqWidth, (r.seq[i] as number) - g.seqBase);
    const flags = flagsOf(kind, keyRef !== undefined, valueRef !== undefined);
    if (g.flagsAt >= 0) page[offset + g.flagsAt] = flags;
    else assert(flags === SLOT_FLAG_PUT, 'a page without flags holds plain puts');
    const put = kind !== EntryKind.Delete;
    const valueAt = r.valueAt[i] as number;
    const valueLength = r.valueLength[i] as number;
    if (g.valuesInline) {
      // A delete's value stays zero: the page region is zero-filled before the layout.
      if (put) moveBytes(work, offset + g.valueAt, valueAt, valueLength);
      return;
    }
    const valueHeap = valueRef !== undefined ? this.pushRef(valueRef) : put ? this.pushStaged(valueAt, valueLength) : 0;
    this.view.setUint16(offset + g.valueAt, valueHeap, true);
    if (g.valueLengthAt >= 0) writeUintLE(page, offset + g.valueLengthAt, g.valueLengthWidth, valueLength);
  }

  /** Copies staged bytes into the heap and returns their page offset; 0 for none (no heap use). */
  private pushStaged(at: number, length: number): number {
    if (length === 0) return 0;
    this.heapBytes += length;
    const to = this.page.length - this.heapBytes;
    moveBytes(this.records.work, to, at, length);
    return to;
  }

  private pushRef(ref: OverflowRef): number {
    this.heapBytes += OVERFLOW_REF_BYTES;
    const at = this.page.length - this.heapBytes;
    writeUint64Number(this.view, at, ref.fileOffset);
    this.view.setUint32(at + 8, ref.storedBytes, true);
    return at;
  }
}

function flagsOf(kind: EntryKind, keyOverflow: boolean, valueOverflow: boolean): number {
  let flags = kind === EntryKind.Put ? SLOT_FLAG_PUT : kind === EntryKind.PutExpiring ? SLOT_FLAG_PUT | SLOT_FLAG_EXPIRING : 0;
  if (keyOverflow) flags |= SLOT_FLAG_KEY_OVERFLOW;
  if (valueOverflow) flags |= SLOT_FLAG_VALUE_OVERFLOW;
  return flags;
}
