/**
 * Where each field of a data page's slots lies. Every data page has fixed-width slots (slot i
 * at `slotBase + i × slotWidth`); what differs is which fields a slot has and how wide they
 * are. Version 1/2 pages take their geometry from the file's layout; version 3 variable pages
 * declare theirs in a descriptor after the page header, chosen for the records of that page.
 * One reader (`DataPage`) and one writer (`DataPageBuilder`) serve every kind of page.
 */
import { CorruptionError } from '@kv/base';
import {
  DESCRIPTOR_BYTES,
  DESCRIPTOR_KEY_FIELDS_OFFSET,
  DESCRIPTOR_PREFIX_LENGTH_OFFSET,
  DESCRIPTOR_RESERVED_OFFSET,
  DESCRIPTOR_SEQ_BASE_OFFSET,
  DESCRIPTOR_SEQ_WIDTH_OFFSET,
  DESCRIPTOR_SUFFIX_WIDTH_OFFSET,
  DESCRIPTOR_UNIFORM_SUFFIX_OFFSET,
  DESCRIPTOR_UNIFORM_VALUE_OFFSET,
  DESCRIPTOR_VALUE_FIELDS_OFFSET,
  INLINE_KEY_BYTES_MAX,
  KEY_BYTES_MAX,
  KEY_FIELDS_KNOWN,
  KEY_FIELDS_LENGTH_MASK,
  KEY_FIELDS_OFFSET_PRESENT,
  OVERFLOW_REF_BYTES,
  PAGE_HEADER_BYTES,
  SEQ_BYTES,
  SEQ_MAX,
  VALUE_BYTES_MAX,
  VALUE_FIELDS_FLAGS_PRESENT,
  VALUE_FIELDS_INLINE,
  VALUE_FIELDS_KNOWN,
  VALUE_FIELDS_LENGTH_MASK,
  VALUE_LENGTH_WIDTHS,
} from './format.js';
import type { TableLayout } from './table-layout.js';

/** The choices that decide a page's slot fields (what a descriptor stores). */
export interface SlotFields {
  /** S: bytes every key of the page starts with, stored once. */
  prefixLength: number;
  /** Bytes of each key's suffix (the key after S) kept in the slot. */
  suffixWidth: number;
  /** 0: every suffix has `uniformSuffixLength` bytes; else the width of a per-slot length field. */
  keyLengthWidth: number;
  uniformSuffixLength: number;
  /** Whether slots carry a 2-byte heap offset for suffixes longer than `suffixWidth`. */
  keyOffsetPresent: boolean;
  /** Bytes of `seq - seqBase` per slot (0..7). */
  seqWidth: number;
  seqBase: number;
  /** Without a flags byte every entry is a Put with nothing out of line. */
  flagsPresent: boolean;
  /** Values of `uniformValueLength` bytes stored in the slot (no heap offset, no length). */
  valuesInline: boolean;
  /** Not inline: 0 when every put's value has `uniformValueLength` bytes, else 1, 2 or 4. */
  valueLengthWidth: number;
  uniformValueLength: number;
}

/** `SlotFields` resolved to offsets inside a slot. An absent field has offset -1. */
export interface PageGeometry extends SlotFields {
  /** Offset of the shared prefix bytes in the page. */
  prefixStart: number;
  /** Offset of slot 0 in the page. */
  slotBase: number;
  slotWidth: number;
  keyOffsetAt: number;
  suffixAt: number;
  seqAt: number;
  flagsAt: number;
  /** Inline: the value bytes; else the 2-byte heap offset (the length, if any, follows). */
  valueAt: number;
  valueLengthAt: number;
}

/** Lays the fields out in their fixed order after a page header (and descriptor, if any). */
export function resolveGeometry(fields: SlotFields, descriptor: boolean): PageGeometry {
  const prefixStart = PAGE_HEADER_BYTES + (descriptor ? DESCRIPTOR_BYTES : 0);
  const keyOffsetAt = fields.keyOffsetPresent ? fields.keyLengthWidth : -1;
  const suffixAt = fields.keyLengthWidth + (fields.keyOffsetPresent ? 2 : 0);
  const seqAt = suffixAt + fields.suffixWidth;
  const flagsAt = fields.flagsPresent ? seqAt + fields.seqWidth : -1;
  const valueAt = seqAt + fields.seqWidth + (fields.flagsPresent ? 1 : 0);
  // One literal with every field in one order, so every geometry has the same shape.
  return {
    prefixLength: fields.prefixLength,
    suffixWidth: fields.suffixWidth,
    keyLengthWidth: fields.keyLengthWidth,
    uniformSuffixLength: fields.uniformSuffixLength,
    keyOffsetPresent: fields.keyOffsetPresent,
    seqWidth: fields.seqWidth,
    seqBase: fields.seqBase,
    flagsPresent: fields.flagsPresent,
    valuesInline: fields.valuesInline,
    valueLengthWidth: fields.valueLengthWidth,
    uniformValueLength: fields.uniformValueLength,
    prefixStart,
    slotBase: prefixStart + fields.prefixLength,
    slotWidth: slotWidthOfFields(fields),
    keyOffsetAt,
    suffixAt,
    seqAt,
    flagsAt,
    valueAt,
    valueLengthAt: fields.valuesInline || fields.valueLengthWidth === 0 ? -1 : valueAt + 2,
  };
}

/**
 * Heap bytes a key takes: a reference when it is in an overflow chain, else its bytes after
 * the shared prefix when they are more than the slot keeps inline, else none.
 */
export function keyHeapBytes(key: { bytesAfterPrefix: number; overflow: boolean }, inlineBytes: number): number {
  if (key.overflow) return OVERFLOW_REF_BYTES;
  return key.bytesAfterPrefix > inlineBytes ? key.bytesAfterPrefix : 0;
}

/** Bytes of one slot with these fields. */
export function slotWidthOfFields(fields: SlotFields): number {
  const key = fields.keyLengthWidth + (fields.keyOffsetPresent ? 2 : 0) + fields.suffixWidth;
  const value = fields.valuesInline ? fields.uniformValueLength : 2 + fields.valueLengthWidth;
  return key + fields.seqWidth + (fields.flagsPresent ? 1 : 0) + value;
}

const layoutGeometries = new WeakMap<TableLayout, PageGeometry>();

/** Version 1/2 pages: one geometry per file, from the layout, and no descriptor. */
export function layoutGeometry(layout: TableLayout): PageGeometry {
  let geometry = layoutGeometries.get(layout);
  if (geometry === undefined) {
    geometry = geometryOfLayout(layout);
    layoutGeometries.set(layout, geometry);
  }
  return geometry;
}

function geometryOfLayout(layout: TableLayout): PageGeometry {
  const fixed = layout.fixedWidth;
  const common = { prefixLength: 0, seqWidth: SEQ_BYTES, seqBase: 0, flagsPresent: true };
  if (fixed !== undefined) {
    // key | seq | kind (0 Delete, 1 Put: the flags byte's Put bit) | value (zeros for a delete)
    const fields = { ...common, suffixWidth: fixed.keySize, keyLengthWidth: 0, uniformSuffixLength: fixed.keySize, keyOffsetPresent: false };
    return resolveGeometry({ ...fields, valuesInline: true, valueLengthWidth: 0, uniformValueLength: fixed.valueSize }, false);
  }
  const fields = { ...common, suffixWidth: layout.inlineKeyBytes, keyLengthWidth: 2, uniformSuffixLength: 0, keyOffsetPresent: true };
  return resolveGeometry({ ...fields, valuesInline: false, valueLengthWidth: 4, uniformValueLength: 0 }, false);
}

/** Writes the descriptor and the shared prefix of a version 3 page. */
export function writeDescriptor(page: Uint8Array, geometry: PageGeometry, prefix: Uint8Array): void {
  const view = new DataView(page.buffer, page.byteOffset, page.length);
  view.setUint16(DESCRIPTOR_PREFIX_LENGTH_OFFSET, geometry.prefixLength, true);
  page[DESCRIPTOR_SUFFIX_WIDTH_OFFSET] = geometry.suffixWidth;
  page[DESCRIPTOR_KEY_FIELDS_OFFSET] = geometry.keyLengthWidth | (geometry.keyOffsetPresent ? KEY_FIELDS_OFFSET_PRESENT : 0);
  page[DESCRIPTOR_SEQ_WIDTH_OFFSET] = geometry.seqWidth;
  const lengthCode = VALUE_LENGTH_WIDTHS.indexOf(geometry.valueLengthWidth);
  page[DESCRIPTOR_VALUE_FIELDS_OFFSET] = lengthCode | (geometry.valuesInline ? VALUE_FIELDS_INLINE : 0) | (geometry.flagsPresent ? VALUE_FIELDS_FLAGS_PRESENT : 0);
  view.setUint16(DESCRIPTOR_UNIFORM_SUFFIX_OFFSET, geometry.uniformSuffixLength, true);
  view.setUint32(DESCRIPTOR_UNIFORM_VALUE_OFFSET, geometry.uniformValueLength, true);
  writeUintLE(page, DESCRIPTOR_SEQ_BASE_OFFSET, SEQ_BYTES, geometry.seqBase);
  page.set(prefix.subarray(0, geometry.prefixLength), geometry.prefixStart);
}

/** Reads and checks a version 3 page's descriptor (after its checksum passed). */
export function readDescriptor(page: Uint8Array, where: string): PageGeometry {
  const view = new DataView(page.buffer, page.byteOffset, page.length);
  if (page.length < PAGE_HEADER_BYTES + DESCRIPTOR_BYTES) throw new CorruptionError(where, 'page shorter than its descriptor');
  const keyFields = page[DESCRIPTOR_KEY_FIELDS_OFFSET] as number;
  const valueFields = page[DESCRIPTOR_VALUE_FIELDS_OFFSET] as number;
  const fields: SlotFields = {
    prefixLength: view.getUint16(DESCRIPTOR_PREFIX_LENGTH_OFFSET, true),
    suffixWidth: page[DESCRIPTOR_SUFFIX_WIDTH_OFFSET] as number,
    keyLengthWidth: keyFields & KEY_FIELDS_LENGTH_MASK,
    uniformSuffixLength: view.getUint16(DESCRIPTOR_UNIFORM_SUFFIX_OFFSET, true),
    keyOffsetPresent: (keyFields & KEY_FIELDS_OFFSET_PRESENT) !== 0,
    seqWidth: page[DESCRIPTOR_SEQ_WIDTH_OFFSET] as number,
    seqBase: readUintLE(page, DESCRIPTOR_SEQ_BASE_OFFSET, SEQ_BYTES),
    flagsPresent: (valueFields & VALUE_FIELDS_FLAGS_PRESENT) !== 0,
    valuesInline: (valueFields & VALUE_FIELDS_INLINE) !== 0,
    valueLengthWidth: VALUE_LENGTH_WIDTHS[valueFields & VALUE_FIELDS_LENGTH_MASK] as number,
    uniformValueLength: view.getUint32(DESCRIPTOR_UNIFORM_VALUE_OFFSET, true),
  };
  const problem = descriptorProblem(fields, { keyFields, valueFields, reserved: page[DESCRIPTOR_RESERVED_OFFSET] as number });
  if (problem !== undefined) throw new CorruptionError(where, `descriptor: ${problem}`);
  const geometry = resolveGeometry(fields, true);
  if (geometry.slotBase > page.length) throw new CorruptionError(where, 'descriptor: shared prefix runs past the page');
  return geometry;
}

function descriptorProblem(fields: SlotFields, raw: { keyFields: number; valueFields: number; reserved: number }): string | undefined {
  if ((raw.keyFields & ~KEY_FIELDS_KNOWN) !== 0 || (raw.valueFields & ~VALUE_FIELDS_KNOWN) !== 0 || raw.reserved !== 0) return 'unknown bits set';
  if (fields.keyLengthWidth > 2) return `key length width ${fields.keyLengthWidth}`;
  if (fields.suffixWidth > INLINE_KEY_BYTES_MAX) return `inline suffix width ${fields.suffixWidth}`;
  if (fields.seqWidth > SEQ_BYTES) return `seq width ${fields.seqWidth}`;
  if (fields.seqBase < 0 || fields.seqBase > SEQ_MAX) return 'seq base out of range';
  if (fields.keyLengthWidth !== 0 && fields.uniformSuffixLength !== 0) return 'uniform suffix length with a length field';
  if (fields.prefixLength + fields.uniformSuffixLength > KEY_BYTES_MAX) return 'uniform key length out of range';
  const uniformValue = fields.valuesInline || fields.valueLengthWidth === 0;
  if (fields.valuesInline && fields.valueLengthWidth !== 0) return 'inline values with a length field';
  if (!uniformValue && fields.uniformValueLength !== 0) return 'uniform value length with a length field';
  if (fields.uniformValueLength > VALUE_BYTES_MAX) return 'uniform value length out of range';
  return undefined;
}

/** Reads a little-endian unsigned integer of 0..7 bytes (above 2^53 it is inexact; callers range-check). */
export function readUintLE(bytes: Uint8Array, at: number, width: number): number {
  switch (width) {
    case 0:
      return 0;
    case 1:
      return bytes[at] as number;
    case 2:
      return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
    default: {
      let value = 0;
      for (let j = width - 1; j >= 0; j--) value = value * 256 + (bytes[at + j] as number);
      return value;
    }
  }
}

/** Writes `value` (a safe non-negative integer below 2^(8 × width)) as `width` little-endian bytes. */
export function writeUintLE(bytes: Uint8Array, at: number, width: number, value: number): void {
  let rest = value;
  for (let j = 0; j < width; j++) {
    bytes[at + j] = rest % 256;
    rest = Math.floor(rest / 256);
  }
}

/** The fewest bytes (0..7) that hold `value`. */
export function bytesToHold(value: number): number {
  let width = 0;
  for (let limit = 1; value >= limit && width < SEQ_BYTES; limit *= 256) width++;
  return width;
}
