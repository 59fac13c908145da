/**
 * Structural checks of a data page after its checksum passed: the slot array and heap do not
 * overlap, and every slot's references stay inside the heap. Run once per page decode (a
 * cache miss), so the hot path can index the bytes without bounds checks.
 */
import { CorruptionError, EntryKind } from '@kv/base';
import {
  OVERFLOW_REF_BYTES,
  PAGE_HEADER_BYTES,
  SEQ_BYTES,
  SLOT_FLAG_EXPIRING,
  SLOT_FLAG_KEY_OVERFLOW,
  SLOT_FLAG_PUT,
  SLOT_FLAG_VALUE_OVERFLOW,
  SLOT_FLAGS_KNOWN,
  VAR_SLOT_PREFIX_OFFSET,
} from './format.js';
import { readSeq } from './seq-field.js';
import type { TableLayout } from './table-layout.js';

export function checkSlots(image: Uint8Array, page: { layout: TableLayout; slotCount: number; heapBytes: number }, where: string): void {
  const { layout, slotCount, heapBytes } = page;
  const pageSize = layout.pageSizeBytes;
  if (slotCount === 0) throw new CorruptionError(where, 'data page without slots');
  const heapStart = pageSize - heapBytes;
  if (heapBytes > pageSize || PAGE_HEADER_BYTES + slotCount * layout.slotWidthBytes > heapStart) throw new CorruptionError(where, 'slots overlap the heap');
  if (layout.fixedWidth !== undefined && heapBytes !== 0) throw new CorruptionError(where, 'fixed-width page with a heap');
  const view = new DataView(image.buffer, image.byteOffset, image.length);
  for (let i = 0; i < slotCount; i++) {
    const offset = PAGE_HEADER_BYTES + i * layout.slotWidthBytes;
    const detail = layout.fixedWidth !== undefined ? checkFixedSlot(view, offset, layout) : checkVariableSlot(view, offset, { layout, heapStart });
    if (detail !== undefined) throw new CorruptionError(where, `slot ${i}: ${detail}`);
  }
}

function checkFixedSlot(view: DataView, offset: number, layout: TableLayout): string | undefined {
  const at = offset + (layout.fixedWidth?.keySize ?? 0);
  if (readSeq(view, at) < 0) return 'seq out of range';
  const kind = view.getUint8(at + SEQ_BYTES);
  return kind === EntryKind.Put || kind === EntryKind.Delete ? undefined : `kind ${kind}`;
}

function checkVariableSlot(view: DataView, offset: number, page: { layout: TableLayout; heapStart: number }): string | undefined {
  const k = page.layout.inlineKeyBytes;
  const pageSize = page.layout.pageSizeBytes;
  const after = offset + VAR_SLOT_PREFIX_OFFSET + k;
  const keyLength = view.getUint16(offset, true);
  const keyOffset = view.getUint16(offset + 2, true);
  const flags = view.getUint8(after + SEQ_BYTES);
  const valueOffset = view.getUint16(after + 8, true);
  const valueLength = view.getUint32(after + 10, true);
  if (readSeq(view, after) < 0) return 'seq out of range';
  if ((flags & ~SLOT_FLAGS_KNOWN) !== 0) return `flags ${flags}`;
  if ((flags & SLOT_FLAG_EXPIRING) !== 0 && (flags & SLOT_FLAG_PUT) === 0) return 'expiring flag on a delete';
  const keyOverflow = (flags & SLOT_FLAG_KEY_OVERFLOW) !== 0;
  if (keyOverflow && keyLength <= k) return 'short key marked as overflow';
  const keyHeapBytes = keyOverflow ? OVERFLOW_REF_BYTES : keyLength > k ? keyLength : 0;
  if (!inHeap(keyOffset, keyHeapBytes, page.heapStart, pageSize)) return 'key outside the heap';
  const valueHeapBytes = (flags & SLOT_FLAG_VALUE_OVERFLOW) !== 0 ? OVERFLOW_REF_BYTES : valueLength;
  if (!inHeap(valueOffset, valueHeapBytes, page.heapStart, pageSize)) return 'value outside the heap';
  return undefined;
}

/** An empty reference must be offset 0; a non-empty one must lie inside [heapStart, pageSize). */
function inHeap(offset: number, length: number, heapStart: number, pageSize: number): boolean {
  if (length === 0) return offset === 0;
  return offset >= heapStart && offset + length <= pageSize;
}
