export { BlockCache, CACHE_ENTRY_OVERHEAD_BYTES } from './block-cache.js';
export type { BlockCacheOptions, BlockCacheStats } from './block-cache.js';
export { bloomHashCount, bloomKeyHash } from './bloom-filter.js';
export { murmur3Hash32 } from './bloom-hash.js';
export {
  FORMAT_VERSION_CURRENT,
  FORMAT_VERSION_MIN,
  INLINE_KEY_BYTES_DEFAULT,
  KEY_BYTES_MAX,
  PAGE_SIZE_BYTES_DEFAULT,
  PAGE_SIZE_BYTES_MAX,
  PAGE_SIZE_BYTES_MIN,
  VALUE_BYTES_MAX,
} from './format.js';
export { TableBuilder } from './table-builder.js';
export type { FixedWidthSizes, TableBuildOptions, TableCompression } from './table-layout.js';
export type { TableProperties } from './table-properties.js';
export { TableReader } from './table-reader.js';
export type { TableReaderOptions } from './table-reader.js';
export type { TableIteratorOptions } from './table-iterator.js';
export { pagesAwaitingRelease } from './retired-pages.js';
