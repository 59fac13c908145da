/**
 * Metadata sections (index, bloom, properties) are stored as chains of consecutive aligned,
 * uncompressed pages: each page holds up to pageSize - 16 bytes of the section. A chain's id
 * field is the page's physical page number, so a page read from the wrong place fails.
 */
import { CorruptionError } from '@kv/base';
import { PAGE_HEADER_BYTES } from './format.js';
import type { PageKind } from './format.js';
import { checkPage, sealPage, writePageHeader } from './page-header.js';

/** Where a chain is: first physical page, page count, section bytes. */
export interface ChainLocation {
  firstPage: number;
  pageCount: number;
  byteLength: number;
}

/** Pages a section of `byteLength` bytes takes (0 for an empty section). */
export function chainPageCount(byteLength: number, pageSizeBytes: number): number {
  return Math.ceil(byteLength / (pageSizeBytes - PAGE_HEADER_BYTES));
}

/** Encodes `section` as pages starting at physical page `firstPage`. */
export function encodeMetaChain(section: Uint8Array, options: { kind: PageKind; firstPage: number; pageSizeBytes: number }): Uint8Array[] {
  const payloadMax = options.pageSizeBytes - PAGE_HEADER_BYTES;
  const count = chainPageCount(section.length, options.pageSizeBytes);
  const pages: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const chunk = section.subarray(i * payloadMax, Math.min(section.length, (i + 1) * payloadMax));
    const page = new Uint8Array(options.pageSizeBytes);
    writePageHeader(page, { kind: options.kind, count: chunk.length, id: options.firstPage + i, extra: 0 });
    page.set(chunk, PAGE_HEADER_BYTES);
    sealPage(page);
    pages.push(page);
  }
  return pages;
}

/**
 * Decodes a chain from `region`, the bytes of the pages from physical page `regionFirstPage`
 * on. The caller has checked that the chain lies inside the region.
 */
export function decodeMetaChain(
  region: Uint8Array,
  chain: ChainLocation & { kind: PageKind; regionFirstPage: number; pageSizeBytes: number },
  where: string,
): Uint8Array {
  const pageSize = chain.pageSizeBytes;
  const payloadMax = pageSize - PAGE_HEADER_BYTES;
  if (chain.pageCount !== chainPageCount(chain.byteLength, pageSize)) throw new CorruptionError(where, 'chain page count does not match its length');
  const out = new Uint8Array(chain.byteLength);
  for (let i = 0; i < chain.pageCount; i++) {
    const pageNumber = chain.firstPage + i;
    const start = (pageNumber - chain.regionFirstPage) * pageSize;
    const page = region.subarray(start, start + pageSize);
    const header = checkPage(page, { kind: chain.kind, id: pageNumber }, `${where} page ${pageNumber}`);
    const expected = Math.min(payloadMax, chain.byteLength - i * payloadMax);
    if (header.count !== expected || header.extra !== 0) throw new CorruptionError(`${where} page ${pageNumber}`, `holds ${header.count} bytes, expected ${expected}`);
    out.set(page.subarray(PAGE_HEADER_BYTES, PAGE_HEADER_BYTES + expected), i * payloadMax);
  }
  return out;
}
