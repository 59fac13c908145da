/**
 * The 16-byte header every page image starts with, and the page checksum. The checksum covers
 * the whole page after its own 4 bytes, so the kind, count, id and all padding are protected.
 */
import { CorruptionError, crc32, maskCrc } from '@kv/base';
import {
  PAGE_COUNT_OFFSET,
  PAGE_CRC_OFFSET,
  PAGE_EXTRA_OFFSET,
  PAGE_HEADER_BYTES,
  PAGE_ID_OFFSET,
  PAGE_KIND_OFFSET,
  PAGE_RESERVED_OFFSET,
} from './format.js';
import type { PageKind } from './format.js';

export interface PageHeader {
  kind: PageKind;
  count: number;
  id: number;
  extra: number;
}

/** Writes the header fields (not the checksum) into a zeroed page image. */
export function writePageHeader(page: Uint8Array, header: PageHeader): void {
  const view = new DataView(page.buffer, page.byteOffset, PAGE_HEADER_BYTES);
  view.setUint8(PAGE_KIND_OFFSET, header.kind);
  view.setUint8(PAGE_RESERVED_OFFSET, 0);
  view.setUint16(PAGE_COUNT_OFFSET, header.count, true);
  view.setUint32(PAGE_ID_OFFSET, header.id, true);
  view.setUint32(PAGE_EXTRA_OFFSET, header.extra, true);
}

/** Computes and stores the page checksum. Call after the last byte of the page is final. */
export function sealPage(page: Uint8Array): void {
  const crc = crc32(page.subarray(PAGE_CRC_OFFSET + 4));
  new DataView(page.buffer, page.byteOffset, 4).setUint32(PAGE_CRC_OFFSET, maskCrc(crc), true);
}

/**
 * Verifies the checksum and that the page is of `kind` with id `id`, then returns its header.
 * `where` names the file and page for the error.
 */
export function checkPage(page: Uint8Array, expected: { kind: PageKind; id: number }, where: string): PageHeader {
  const view = new DataView(page.buffer, page.byteOffset, page.length);
  if (page.length < PAGE_HEADER_BYTES) throw new CorruptionError(where, 'page shorter than its header');
  const stored = view.getUint32(PAGE_CRC_OFFSET, true);
  if (maskCrc(crc32(page.subarray(PAGE_CRC_OFFSET + 4))) !== stored) throw new CorruptionError(where, 'page checksum mismatch');
  const kind = view.getUint8(PAGE_KIND_OFFSET);
  if (kind !== expected.kind) throw new CorruptionError(where, `page kind ${kind}, expected ${expected.kind}`);
  if (view.getUint8(PAGE_RESERVED_OFFSET) !== 0) throw new CorruptionError(where, 'reserved header byte is not zero');
  const id = view.getUint32(PAGE_ID_OFFSET, true);
  if (id !== expected.id) throw new CorruptionError(where, `page id ${id}, expected ${expected.id}`);
  return { kind, count: view.getUint16(PAGE_COUNT_OFFSET, true), id, extra: view.getUint32(PAGE_EXTRA_OFFSET, true) };
}
