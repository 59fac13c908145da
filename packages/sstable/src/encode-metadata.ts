/**
 * Everything after the data region: zero padding to the next page boundary, the index, bloom
 * and properties chains (in that order, each on its own pages) and the footer page.
 */
import { encodeBloom } from './bloom-filter.js';
import { FORMAT_VERSION_COMPACT_PAGES, FORMAT_VERSION_EXPIRING, FORMAT_VERSION_FIRST, PageKind } from './format.js';
import { chainPageCount, encodeMetaChain } from './meta-chain.js';
import type { ChainLocation } from './meta-chain.js';
import { encodeIndex } from './page-index.js';
import type { IndexEntry } from './page-index.js';
import { encodeFooterPage } from './table-footer.js';
import type { TableFooter } from './table-footer.js';
import type { TableLayout } from './table-layout.js';
import { encodeStatistics } from './table-properties.js';
import type { TableStatistics } from './table-properties.js';

export interface MetadataInput {
  layout: TableLayout;
  dataRegionBytes: number;
  indexEntries: readonly IndexEntry[];
  keyHashes: Uint32Array;
  bloomBitsPerKey: number;
  statistics: TableStatistics;
  /** Whether any entry is a `PutExpiring` (a file of version 1/2 pages then needs version 2). */
  hasExpiring: boolean;
}

export interface EncodedMetadata {
  /** Padding, metadata pages and footer, in file order. */
  chunks: Uint8Array[];
  footer: TableFooter;
  fileSizeBytes: number;
}

export function encodeMetadata(input: MetadataInput): EncodedMetadata {
  const pageSize = input.layout.pageSizeBytes;
  const firstMetaPage = Math.ceil(input.dataRegionBytes / pageSize);
  const chunks: Uint8Array[] = [];
  const padding = firstMetaPage * pageSize - input.dataRegionBytes;
  if (padding > 0) chunks.push(new Uint8Array(padding));
  let nextPage = firstMetaPage;
  const place = (section: Uint8Array, kind: PageKind): ChainLocation => {
    const location = { firstPage: nextPage, pageCount: chainPageCount(section.length, pageSize), byteLength: section.length };
    chunks.push(...encodeMetaChain(section, { kind, firstPage: nextPage, pageSizeBytes: pageSize }));
    nextPage += location.pageCount;
    return location;
  };
  const index = place(encodeIndex(input.indexEntries), PageKind.Index);
  const bloom = place(encodeBloom(input.keyHashes, input.bloomBitsPerKey), PageKind.Bloom);
  const properties = place(encodeStatistics(input.statistics), PageKind.Properties);
  const footer: TableFooter = {
    formatVersion: formatVersionOf(input),
    layout: input.layout,
    dataPageCount: input.indexEntries.length,
    dataRegionBytes: input.dataRegionBytes,
    index,
    bloom,
    properties,
  };
  chunks.push(encodeFooterPage(footer, nextPage));
  return { chunks, footer, fileSizeBytes: (nextPage + 1) * pageSize };
}

/** The lowest version that expresses the file: compact pages need 3, an expiring entry 2. */
function formatVersionOf(input: MetadataInput): number {
  if (input.layout.compactPages) return FORMAT_VERSION_COMPACT_PAGES;
  return input.hasExpiring ? FORMAT_VERSION_EXPIRING : FORMAT_VERSION_FIRST;
}
