/**
 * Overflow chains hold a key or value too big for a page's heap: a run of consecutive
 * overflow pages (raw pages, or frames in an lz4 file), each with its own checksum, referenced
 * from a page heap by (file offset, stored bytes).
 */
import { CorruptionError } from '@kv/base';
import { PAGE_HEADER_BYTES, PageKind } from './format.js';
import { decodeFrame, encodeFrame } from './frame-codec.js';
import { checkPage, sealPage, writePageHeader } from './page-header.js';
import type { TableLayout } from './table-layout.js';

/** Number of pages a chain of `length` bytes takes. */
export function overflowPageCount(length: number, pageSizeBytes: number): number {
  return Math.ceil(length / (pageSizeBytes - PAGE_HEADER_BYTES));
}

/** Encodes `data` as the stored pages (or frames) of one chain, in order. */
export function encodeOverflowChain(data: Uint8Array, layout: TableLayout): Uint8Array[] {
  const pageSize = layout.pageSizeBytes;
  const payloadMax = pageSize - PAGE_HEADER_BYTES;
  const count = overflowPageCount(data.length, pageSize);
  const stored: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = data.subarray(i * payloadMax, Math.min(data.length, (i + 1) * payloadMax));
    const page = new Uint8Array(pageSize);
    writePageHeader(page, { kind: PageKind.Overflow, count: chunk.length, id: i, extra: 0 });
    page.set(chunk, PAGE_HEADER_BYTES);
    sealPage(page);
    stored.push(layout.compression === 'lz4' ? encodeFrame(page) : page);
  }
  return stored;
}

/**
 * Decodes a chain of `length` bytes from its stored bytes (exactly the referenced range) into
 * a new array, verifying every page.
 */
export function decodeOverflowChain(stored: Uint8Array, length: number, layout: TableLayout, where: string): Uint8Array {
  const pageSize = layout.pageSizeBytes;
  const payloadMax = pageSize - PAGE_HEADER_BYTES;
  const count = overflowPageCount(length, pageSize);
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = 0; i < count; i++) {
    const pageWhere = `${where} overflow page ${i}`;
    let image: Uint8Array;
    if (layout.compression === 'lz4') {
      const frame = decodeFrame(stored, at, pageSize, pageWhere);
      image = frame.image;
      at += frame.frameBytes;
    } else {
      if (at + pageSize > stored.length) throw new CorruptionError(pageWhere, 'overflow chain shorter than its length');
      image = stored.subarray(at, at + pageSize);
      at += pageSize;
    }
    const header = checkPage(image, { kind: PageKind.Overflow, id: i }, pageWhere);
    const expected = Math.min(payloadMax, length - i * payloadMax);
    if (header.count !== expected || header.extra !== 0) throw new CorruptionError(pageWhere, `holds ${header.count} bytes, expected ${expected}`);
    out.set(image.subarray(PAGE_HEADER_BYTES, PAGE_HEADER_BYTES + expected), i * payloadMax);
  }
  if (at !== stored.length) throw new CorruptionError(where, `overflow chain takes ${at} bytes, reference says ${stored.length}`);
  return out;
}
