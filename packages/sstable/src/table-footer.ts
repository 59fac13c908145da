/**
 * The footer: the file's last page. Its last 16 bytes (the trailer: page size, format version,
 * magic) let a reader that knows nothing find the page; the record at offset 16 locates
 * everything else. The page header, trailer and checksum rule are frozen for all versions, so
 * a reader checks the checksum before it trusts the version.
 */
import { CorruptionError, NotSupportedError } from '@kv/base';
import {
  CompressionCode,
  FOOTER_RECORD_BYTES,
  FORMAT_VERSION_COMPACT_PAGES,
  FORMAT_VERSION_CURRENT,
  FORMAT_VERSION_MIN,
  INLINE_KEY_BYTES_MAX,
  KEY_BYTES_MAX,
  LayoutCode,
  PAGE_HEADER_BYTES,
  PageKind,
  TABLE_MAGIC,
  TRAILER_BYTES,
  VALUE_BYTES_MAX,
} from './format.js';
import type { ChainLocation } from './meta-chain.js';
import { checkPage, sealPage, writePageHeader } from './page-header.js';
import { readUint64Number, writeUint64Number } from './seq-field.js';
import { isValidPageSize, slotWidthOf } from './table-layout.js';
import type { TableLayout } from './table-layout.js';

export interface TableFooter {
  formatVersion: number;
  layout: TableLayout;
  dataPageCount: number;
  /** End of the last data or overflow page/frame; metadata starts at the next page boundary. */
  dataRegionBytes: number;
  index: ChainLocation;
  bloom: ChainLocation;
  properties: ChainLocation;
}

const CHAIN_OFFSETS = { index: 24, bloom: 36, properties: 48 } as const;

/** Encodes the footer as the page with physical number `pageNumber`. */
export function encodeFooterPage(footer: TableFooter, pageNumber: number): Uint8Array {
  const pageSize = footer.layout.pageSizeBytes;
  const page = new Uint8Array(pageSize);
  const view = new DataView(page.buffer);
  writePageHeader(page, { kind: PageKind.Footer, count: FOOTER_RECORD_BYTES, id: pageNumber, extra: 0 });
  const at = PAGE_HEADER_BYTES;
  const layout = footer.layout;
  view.setUint8(at, layout.compression === 'lz4' ? CompressionCode.Lz4 : CompressionCode.None);
  view.setUint8(at + 1, layout.fixedWidth === undefined ? LayoutCode.Variable : LayoutCode.Fixed);
  view.setUint16(at + 2, layout.inlineKeyBytes, true);
  view.setUint32(at + 4, layout.fixedWidth?.keySize ?? 0, true);
  view.setUint32(at + 8, layout.fixedWidth?.valueSize ?? 0, true);
  view.setUint32(at + 12, footer.dataPageCount, true);
  writeUint64Number(view, at + 16, footer.dataRegionBytes);
  for (const name of ['index', 'bloom', 'properties'] as const) {
    const chain = footer[name];
    view.setUint32(at + CHAIN_OFFSETS[name], chain.firstPage, true);
    view.setUint32(at + CHAIN_OFFSETS[name] + 4, chain.pageCount, true);
    view.setUint32(at + CHAIN_OFFSETS[name] + 8, chain.byteLength, true);
  }
  const trailer = pageSize - TRAILER_BYTES;
  view.setUint32(trailer, pageSize, true);
  view.setUint16(trailer + 4, footer.formatVersion, true);
  page.set(TABLE_MAGIC, trailer + 8);
  sealPage(page);
  return page;
}

/** Reads the page size from the trailer (the file's last 16 bytes) after checking the magic. */
export function decodeTrailerPageSize(trailer: Uint8Array, where: string): number {
  for (let i = 0; i < TABLE_MAGIC.length; i++) {
    if (trailer[8 + i] !== TABLE_MAGIC[i]) throw new CorruptionError(where, 'bad magic number');
  }
  const pageSize = new DataView(trailer.buffer, trailer.byteOffset, TRAILER_BYTES).getUint32(0, true);
  if (!isValidPageSize(pageSize)) throw new CorruptionError(where, `page size ${pageSize} in the trailer`);
  return pageSize;
}

/** Verifies and decodes the footer page, the file's physical page `pageNumber`. */
export function decodeFooterPage(page: Uint8Array, pageNumber: number, where: string): TableFooter {
  const header = checkPage(page, { kind: PageKind.Footer, id: pageNumber }, where);
  const view = new DataView(page.buffer, page.byteOffset, page.length);
  const trailer = page.length - TRAILER_BYTES;
  const formatVersion = view.getUint16(trailer + 4, true);
  if (formatVersion < FORMAT_VERSION_MIN || formatVersion > FORMAT_VERSION_CURRENT) {
    throw new NotSupportedError(where, `format version ${formatVersion} (this build reads ${FORMAT_VERSION_MIN}..${FORMAT_VERSION_CURRENT})`);
  }
  if (header.count !== FOOTER_RECORD_BYTES || view.getUint16(trailer + 6, true) !== 0) throw new CorruptionError(where, 'malformed footer');
  const layout = decodeLayout(view, { pageSizeBytes: page.length, formatVersion }, where);
  const dataRegionBytes = readUint64Number(view, PAGE_HEADER_BYTES + 16);
  if (dataRegionBytes < 0) throw new CorruptionError(where, 'data region size out of range');
  const chain = (name: keyof typeof CHAIN_OFFSETS): ChainLocation => ({
    firstPage: view.getUint32(PAGE_HEADER_BYTES + CHAIN_OFFSETS[name], true),
    pageCount: view.getUint32(PAGE_HEADER_BYTES + CHAIN_OFFSETS[name] + 4, true),
    byteLength: view.getUint32(PAGE_HEADER_BYTES + CHAIN_OFFSETS[name] + 8, true),
  });
  const dataPageCount = view.getUint32(PAGE_HEADER_BYTES + 12, true);
  return { formatVersion, layout, dataPageCount, dataRegionBytes, index: chain('index'), bloom: chain('bloom'), properties: chain('properties') };
}

function decodeLayout(view: DataView, file: { pageSizeBytes: number; formatVersion: number }, where: string): TableLayout {
  const at = PAGE_HEADER_BYTES;
  const pageSizeBytes = file.pageSizeBytes;
  const compressionCode = view.getUint8(at);
  const layoutCode = view.getUint8(at + 1);
  const inlineKeyBytes = view.getUint16(at + 2, true);
  const keySize = view.getUint32(at + 4, true);
  const valueSize = view.getUint32(at + 8, true);
  if (compressionCode !== CompressionCode.None && compressionCode !== CompressionCode.Lz4) throw new CorruptionError(where, `compression code ${compressionCode}`);
  if (layoutCode !== LayoutCode.Variable && layoutCode !== LayoutCode.Fixed) throw new CorruptionError(where, `layout code ${layoutCode}`);
  const fixedWidth = layoutCode === LayoutCode.Fixed ? { keySize, valueSize } : undefined;
  if (fixedWidth === undefined ? keySize !== 0 || valueSize !== 0 : inlineKeyBytes !== 0) throw new CorruptionError(where, 'layout fields disagree');
  if (inlineKeyBytes > INLINE_KEY_BYTES_MAX || keySize > KEY_BYTES_MAX || valueSize > VALUE_BYTES_MAX) throw new CorruptionError(where, 'layout field out of range');
  if (view.getUint32(at + 60, true) !== 0) throw new CorruptionError(where, 'reserved footer bytes are not zero');
  const slotWidthBytes = slotWidthOf(fixedWidth, inlineKeyBytes);
  if (PAGE_HEADER_BYTES + slotWidthBytes > pageSizeBytes) throw new CorruptionError(where, 'slot wider than a page');
  const compression = compressionCode === CompressionCode.Lz4 ? 'lz4' : 'none';
  const compactPages = fixedWidth === undefined && file.formatVersion >= FORMAT_VERSION_COMPACT_PAGES;
  return { pageSizeBytes, compression, fixedWidth, inlineKeyBytes, slotWidthBytes, compactPages };
}
