/**
 * Open-time reading: trailer, footer, then the whole metadata region (index, bloom and
 * properties chains), every page verified. One read of the file's tail usually covers all
 * three (see `tailReadBytes`); a footer or a region that starts before it is read on its own
 * after it. Also used by `verify` to re-check the metadata against bit rot since open.
 */
import { CorruptionError } from '@kv/base';
import type { VfsFile } from '@kv/vfs';
import { PageKind, TRAILER_BYTES } from './format.js';
import { decodeMetaChain } from './meta-chain.js';
import type { ChainLocation } from './meta-chain.js';
import { decodeFooterPage, decodeTrailerPageSize } from './table-footer.js';
import type { TableFooter } from './table-footer.js';

export interface TableMetadata {
  fileSizeBytes: number;
  footer: TableFooter;
  indexSection: Uint8Array;
  bloomSection: Uint8Array;
  propertiesSection: Uint8Array;
  /** Metadata pages plus the footer page. */
  pageCount: number;
}

export async function readMetadata(file: VfsFile, expectedSizeBytes: number | undefined): Promise<TableMetadata> {
  const path = file.path;
  const size = await file.size();
  if (expectedSizeBytes !== undefined && size !== expectedSizeBytes) throw new CorruptionError(path, `file is ${size} bytes, expected ${expectedSizeBytes}`);
  if (size < TRAILER_BYTES) throw new CorruptionError(path, `file of ${size} bytes is too short for a page file`);
  const tailStart = size - tailReadBytes(size);
  const tail = await readExactly(file, tailStart, size - tailStart);
  // Bytes [position, position + length) of the file: from the tail when it holds them.
  const range = (position: number, length: number): Uint8Array | Promise<Uint8Array> =>
    position >= tailStart ? tail.subarray(position - tailStart, position - tailStart + length) : readExactly(file, position, length);
  const pageSize = decodeTrailerPageSize(tail.subarray(tail.length - TRAILER_BYTES), `${path} trailer`);
  if (size % pageSize !== 0) throw new CorruptionError(path, `file size ${size} is not a multiple of the ${pageSize}-byte page size`);
  const footerPage = size / pageSize - 1;
  const footer = decodeFooterPage(await range(footerPage * pageSize, pageSize), footerPage, `${path} footer page ${footerPage}`);
  const metaFirstPage = Math.ceil(footer.dataRegionBytes / pageSize);
  checkChainOrder(footer, { metaFirstPage, footerPage }, `${path} footer`);
  const region = await range(metaFirstPage * pageSize, (footerPage - metaFirstPage) * pageSize);
  const decode = (chain: ChainLocation, kind: PageKind, name: string): Uint8Array =>
    decodeMetaChain(region, { ...chain, kind, regionFirstPage: metaFirstPage, pageSizeBytes: pageSize }, `${path} ${name}`);
  return {
    fileSizeBytes: size,
    footer,
    indexSection: decode(footer.index, PageKind.Index, 'index'),
    bloomSection: decode(footer.bloom, PageKind.Bloom, 'bloom'),
    propertiesSection: decode(footer.properties, PageKind.Properties, 'properties'),
    pageCount: footerPage - metaFirstPage + 1,
  };
}

/** The chains follow the data region in the order index, bloom, properties, then the footer. */
function checkChainOrder(footer: TableFooter, pages: { metaFirstPage: number; footerPage: number }, where: string): void {
  let next = pages.metaFirstPage;
  for (const chain of [footer.index, footer.bloom, footer.properties]) {
    if (chain.firstPage !== next) throw new CorruptionError(where, `metadata chain at page ${chain.firstPage}, expected ${next}`);
    next += chain.pageCount;
  }
  if (next !== pages.footerPage) throw new CorruptionError(where, `metadata ends at page ${next}, footer is page ${pages.footerPage}`);
}

/** The tail read at open never reads less than this (a small file is read whole)... */
const TAIL_READ_MIN_BYTES = 64 * 1024;
/** ...nor more than this, however large the file. */
const TAIL_READ_MAX_BYTES = 4 * 1024 * 1024;

/**
 * How much of a `size`-byte file's end the first read takes: a 32nd of the file, which holds a
 * page file's metadata at the engine's settings (its index and bloom filter take about 2% of a
 * file of 116-byte entries in 4 KiB pages), within `TAIL_READ_MIN_BYTES` and
 * `TAIL_READ_MAX_BYTES`. Reading more than the metadata costs a copy from the page cache;
 * reading less costs one more read.
 */
function tailReadBytes(size: number): number {
  return Math.min(size, Math.max(TAIL_READ_MIN_BYTES, Math.min(TAIL_READ_MAX_BYTES, Math.ceil(size / 32))));
}

async function readExactly(file: VfsFile, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  const read = await file.read({ buffer, position });
  if (read !== length) throw new CorruptionError(file.path, `file ends after ${read} of ${length} bytes at ${position}`);
  return buffer;
}
