/**
 * Open-time reading: trailer, footer, then the whole metadata region (index, bloom and
 * properties chains) in one read, every page verified. Also used by `verify` to re-check the
 * metadata against bit rot since open.
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
  const pageSize = decodeTrailerPageSize(await readExactly(file, size - TRAILER_BYTES, TRAILER_BYTES), `${path} trailer`);
  if (size % pageSize !== 0) throw new CorruptionError(path, `file size ${size} is not a multiple of the ${pageSize}-byte page size`);
  const footerPage = size / pageSize - 1;
  const footer = decodeFooterPage(await readExactly(file, footerPage * pageSize, pageSize), footerPage, `${path} footer page ${footerPage}`);
  const metaFirstPage = Math.ceil(footer.dataRegionBytes / pageSize);
  checkChainOrder(footer, { metaFirstPage, footerPage }, `${path} footer`);
  const region = await readExactly(file, metaFirstPage * pageSize, (footerPage - metaFirstPage) * pageSize);
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

async function readExactly(file: VfsFile, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  const read = await file.read({ buffer, position });
  if (read !== length) throw new CorruptionError(file.path, `file ends after ${read} of ${length} bytes at ${position}`);
  return buffer;
}
