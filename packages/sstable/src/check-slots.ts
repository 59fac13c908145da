/**
 * Structural checks of a data page after its checksum passed: the slot array and heap do not
 * overlap, and every slot's fields are in range and its references stay inside the heap. Run
 * once per page decode (a cache miss), so the hot path can index the bytes without bounds checks.
 */
import { CorruptionError } from '@kv/base';
import {
  KEY_BYTES_MAX,
  OVERFLOW_REF_BYTES,
  SEQ_MAX,
  SLOT_FLAG_EXPIRING,
  SLOT_FLAG_KEY_OVERFLOW,
  SLOT_FLAG_PUT,
  SLOT_FLAG_VALUE_OVERFLOW,
  SLOT_FLAGS_KNOWN,
  VALUE_BYTES_MAX,
} from './format.js';
import { readUintLE } from './page-geometry.js';
import type { PageGeometry } from './page-geometry.js';
import type { TableLayout } from './table-layout.js';

interface CheckedPage {
  layout: TableLayout;
  geometry: PageGeometry;
  slotCount: number;
  heapBytes: number;
}

export function checkSlots(image: Uint8Array, page: CheckedPage, where: string): void {
  const { layout, geometry, slotCount, heapBytes } = page;
  const pageSize = layout.pageSizeBytes;
  if (slotCount === 0) throw new CorruptionError(where, 'data page without slots');
  const heapStart = pageSize - heapBytes;
  if (heapBytes > pageSize || geometry.slotBase + slotCount * geometry.slotWidth > heapStart) throw new CorruptionError(where, 'slots overlap the heap');
  if (layout.fixedWidth !== undefined && heapBytes !== 0) throw new CorruptionError(where, 'fixed-width page with a heap');
  if (slotsCanBeWrong(geometry)) checkEverySlot(image, page, where);
}

/** The slot pass `checkSlots` skips when no slot can be wrong; exported to test that skip. */
export function checkEverySlot(image: Uint8Array, page: CheckedPage, where: string): void {
  const { layout, geometry, slotCount, heapBytes } = page;
  const pageSize = layout.pageSizeBytes;
  const heapStart = pageSize - heapBytes;
  const rules: SlotRules = {
    image,
    view: new DataView(image.buffer, image.byteOffset, image.length),
    geometry,
    heapStart,
    pageSize,
    flagsKnown: layout.fixedWidth !== undefined ? SLOT_FLAG_PUT : SLOT_FLAGS_KNOWN,
  };
  for (let i = 0; i < slotCount; i++) {
    const detail = checkSlot(rules, geometry.slotBase + i * geometry.slotWidth);
    if (detail !== undefined) throw new CorruptionError(where, `slot ${i}: ${detail}`);
  }
}

/**
 * Whether any slot of a page with this geometry can hold a bad field. A compact page for
 * regular data (one key length within the inline width, no flags byte, inline values, a seq
 * field too narrow to pass 2^53 − 1) has none: every byte pattern of its slots reads as a valid
 * entry, so its slots need no pass at all.
 */
export function slotsCanBeWrong(g: PageGeometry): boolean {
  if (g.flagsAt >= 0 || !g.valuesInline) return true;
  if (g.keyLengthWidth > 0 || g.keyOffsetAt >= 0 || g.uniformSuffixLength > g.suffixWidth) return true;
  // A width past the table (the descriptor check refuses one) counts as able to overflow.
  return g.seqBase + ((SEQ_FIELD_SPANS[g.seqWidth] ?? Infinity) - 1) > SEQ_MAX;
}

/** 256^w for a seq field of w bytes (0..7): a table, since `**` with a variable exponent is a runtime call on every page decode. */
const SEQ_FIELD_SPANS: readonly number[] = [1, 2 ** 8, 2 ** 16, 2 ** 24, 2 ** 32, 2 ** 40, 2 ** 48, 2 ** 56];

/** The page being checked and what its slots must satisfy. */
interface SlotRules {
  image: Uint8Array;
  view: DataView;
  geometry: PageGeometry;
  heapStart: number;
  pageSize: number;
  flagsKnown: number;
}

function checkSlot(rules: SlotRules, offset: number): string | undefined {
  const image = rules.image;
  const g = rules.geometry;
  const flags = g.flagsAt < 0 ? SLOT_FLAG_PUT : (image[offset + g.flagsAt] as number);
  if ((flags & ~rules.flagsKnown) !== 0) return `flags ${flags}`;
  const put = (flags & SLOT_FLAG_PUT) !== 0;
  if (!put && (flags & (SLOT_FLAG_EXPIRING | SLOT_FLAG_VALUE_OVERFLOW)) !== 0) return 'value flags on a delete';
  if (g.seqWidth > 0 && g.seqBase + readUintLE(image, offset + g.seqAt, g.seqWidth) > SEQ_MAX) return 'seq out of range';
  return checkKey(rules, offset, flags) ?? checkValue(rules, offset, flags);
}

function checkKey(rules: SlotRules, offset: number, flags: number): string | undefined {
  const g = rules.geometry;
  const suffixLength = g.keyLengthWidth === 0 ? g.uniformSuffixLength : readUintLE(rules.image, offset, g.keyLengthWidth);
  if (g.prefixLength + suffixLength > KEY_BYTES_MAX) return 'key longer than the limit';
  const keyOverflow = (flags & SLOT_FLAG_KEY_OVERFLOW) !== 0;
  const keyOffset = g.keyOffsetAt < 0 ? 0 : rules.view.getUint16(offset + g.keyOffsetAt, true);
  if (suffixLength <= g.suffixWidth) {
    if (keyOverflow) return 'short key marked as overflow';
    return keyOffset === 0 ? undefined : 'key outside the heap';
  }
  if (g.keyOffsetAt < 0) return 'long key without a heap offset';
  const heapBytes = keyOverflow ? OVERFLOW_REF_BYTES : suffixLength;
  return inHeap(keyOffset, heapBytes, rules) ? undefined : 'key outside the heap';
}

function checkValue(rules: SlotRules, offset: number, flags: number): string | undefined {
  const g = rules.geometry;
  if (g.valuesInline) return (flags & SLOT_FLAG_VALUE_OVERFLOW) === 0 ? undefined : 'overflow value on a page of inline values';
  const length = g.valueLengthAt < 0 ? g.uniformValueLength : readUintLE(rules.image, offset + g.valueLengthAt, g.valueLengthWidth);
  if (length > VALUE_BYTES_MAX) return 'value longer than the limit';
  const valueOffset = rules.view.getUint16(offset + g.valueAt, true);
  if ((flags & SLOT_FLAG_PUT) === 0) return valueOffset === 0 ? undefined : 'value outside the heap';
  const heapBytes = (flags & SLOT_FLAG_VALUE_OVERFLOW) !== 0 ? OVERFLOW_REF_BYTES : length;
  return inHeap(valueOffset, heapBytes, rules) ? undefined : 'value outside the heap';
}

/** An empty reference must be offset 0; a non-empty one must lie inside [heapStart, pageSize). */
function inHeap(offset: number, length: number, rules: SlotRules): boolean {
  if (length === 0) return offset === 0;
  return offset >= rules.heapStart && offset + length <= rules.pageSize;
}
