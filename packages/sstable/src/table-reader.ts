import { assert, CorruptionError, NotOpenError } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';
import type { Vfs } from '@kv/vfs';
import { BloomFilter, bloomKeyHash } from './bloom-filter.js';
import type { BlockCache } from './block-cache.js';
import { PageIndex } from './page-index.js';
import { readMetadata } from './read-metadata.js';
import type { TableMetadata } from './read-metadata.js';
import { TableFile } from './table-file.js';
import { TableIterator } from './table-iterator.js';
import type { TableIteratorOptions } from './table-iterator.js';
import { decodeStatistics } from './table-properties.js';
import type { TableProperties } from './table-properties.js';
import { verifyTable } from './verify-table.js';

export interface TableReaderOptions {
  fileNumber: number;
  cache?: BlockCache;
  /** When given, a file of another size is CORRUPTION (the manifest knows the size). */
  expectedSizeBytes?: number;
}

/**
 * Reads one page file. `open` verifies the footer and loads the index, bloom filter and
 * properties into memory (async, once); after that `get` and iteration are synchronous and
 * read at most one data page per step, from the block cache or with `readSync`.
 *
 * Entries returned by `get` and `iterator().entry` may be views into cached pages: never
 * mutate them, and copy before keeping them past the reader's life, or, for an iterator's,
 * past its `releaseViews()` or `release()` (the cache may then reuse the page).
 */
export class TableReader {
  readonly properties: TableProperties;
  readonly fileNumber: number;
  private readonly table: TableFile;
  private readonly bloom: BloomFilter;
  private open = true;

  private constructor(table: TableFile, bloom: BloomFilter, properties: TableProperties) {
    this.table = table;
    this.bloom = bloom;
    this.properties = properties;
    this.fileNumber = table.fileNumber;
  }

  static async open(vfs: Vfs, path: string, options: TableReaderOptions): Promise<TableReader> {
    const file = await vfs.open(path);
    try {
      const metadata = await readMetadata(file, options.expectedSizeBytes);
      const { footer } = metadata;
      const index = PageIndex.decode(metadata.indexSection, { pageCount: footer.dataPageCount, dataRegionBytes: footer.dataRegionBytes, layout: footer.layout }, `${path} index`);
      const bloom = BloomFilter.decode(metadata.bloomSection, `${path} bloom`);
      const properties = propertiesOf(metadata, path);
      const table = new TableFile({ file, fileNumber: options.fileNumber, layout: footer.layout, index, dataRegionBytes: footer.dataRegionBytes, cache: options.cache });
      return new TableReader(table, bloom, properties);
    } catch (error) {
      await file.close().catch(() => undefined);
      throw error;
    }
  }

  /** False only when the file certainly holds no version of `userKey`. */
  mayContain(userKey: Uint8Array): boolean {
    return this.bloom.mayContain(userKey);
  }

  /**
   * The newest entry for `userKey` with seq <= `seqMax` (a delete is returned as such), or
   * undefined. Synchronous: a bloom check, a binary search of the in-memory index, then one
   * data page (plus its overflow chain when the value is out of line).
   */
  get(userKey: Uint8Array, seqMax: SeqNum): InternalEntry | undefined {
    return this.find(userKey, seqMax, false);
  }

  /**
   * `get` for a caller that copies what it needs at once: a page the block cache does not
   * admit is read into a scratch buffer shared by every table, and a cached page this way
   * read may have its buffer reused once evicted, so the entry's key and value are valid only
   * until the next `getTransient` of any reader (see `TableFile.loadPageTransient`).
   * `keyHash`, the key's `bloomKeyHash`, saves hashing the key once per file.
   */
  getTransient(userKey: Uint8Array, seqMax: SeqNum, keyHash: number = bloomKeyHash(userKey)): InternalEntry | undefined {
    return this.find(userKey, seqMax, true, keyHash);
  }

  private find(userKey: Uint8Array, seqMax: SeqNum, transient: boolean, keyHash = bloomKeyHash(userKey)): InternalEntry | undefined {
    this.checkOpen();
    if (!this.bloom.mayContainHash(keyHash)) return undefined;
    const table = this.table;
    const p = table.index.search(userKey, seqMax, true);
    if (p === table.index.pageCount) return undefined;
    const page = transient ? table.loadPageTransient(p) : table.loadPage(p);
    const slot = page.search(userKey, seqMax, true, table);
    if (slot === page.slotCount) throw new CorruptionError(table.pageWhere(p), 'page ends before its fence key');
    if (page.compareKey(slot, userKey, table) !== 0) return undefined;
    // The slot's key equals `userKey`: hand that back rather than rebuild it from the page.
    return page.entryWithKey(slot, userKey, table);
  }

  /** A new, initially invalid iterator over the whole file. */
  iterator(options: TableIteratorOptions = {}): InternalIterator {
    this.checkOpen();
    return new TableIterator(this.table, options);
  }

  /** Reads every page again and checks checksums, structure, order and layout. */
  async verify(): Promise<{ pagesChecked: number }> {
    this.checkOpen();
    return verifyTable(this.table, this.properties);
  }

  /** Closes the file. Iterators must not be used afterwards. */
  async close(): Promise<void> {
    if (!this.open) return;
    this.open = false;
    await this.table.close();
  }

  private checkOpen(): void {
    if (!this.open) throw new NotOpenError(`table ${this.table.path}`);
  }
}

function propertiesOf(metadata: TableMetadata, path: string): TableProperties {
  const { footer } = metadata;
  const stats = decodeStatistics(metadata.propertiesSection, `${path} properties`);
  const layout = footer.layout;
  const consistent = footer.dataPageCount === 0 ? stats.entryCount === 0 : stats.entryCount >= footer.dataPageCount;
  if (!consistent || stats.rawDataBytes < footer.dataPageCount * layout.pageSizeBytes) throw new CorruptionError(`${path} properties`, 'disagree with the footer');
  assert(Number.isSafeInteger(metadata.fileSizeBytes), 'file size is a safe integer');
  return {
    ...stats,
    dataPageCount: footer.dataPageCount,
    pageSizeBytes: layout.pageSizeBytes,
    compression: layout.compression,
    fixedWidth: layout.fixedWidth === undefined ? undefined : { ...layout.fixedWidth },
    fileSizeBytes: metadata.fileSizeBytes,
    formatVersion: footer.formatVersion,
  };
}
