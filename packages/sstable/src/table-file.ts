/**
 * The reader's access to data and overflow pages: synchronous reads (`readSync`), because a
 * read the page cache serves costs ~2 µs that way and ~28 µs through the libuv thread pool
 * (DESIGN.md), and a block-cache hit must not leave the calling thread at all.
 */
import { CorruptionError } from '@kv/base';
import type { VfsFile } from '@kv/vfs';
import type { BlockCache } from './block-cache.js';
import { DataPage } from './data-page.js';
import type { OverflowSource } from './data-page.js';
import { decodeFrame } from './frame-codec.js';
import { decodeOverflowChain } from './overflow-chain.js';
import type { PageIndex } from './page-index.js';
import { readMetadata } from './read-metadata.js';
import type { TableMetadata } from './read-metadata.js';
import { readUint64Number } from './seq-field.js';
import type { TableLayout } from './table-layout.js';

/**
 * Pages read by `loadPageTransient` and not cached (one thread, one at a time): the buffer
 * they are read into, and the page object they are decoded into, both reused by every table.
 */
let scratch = new Uint8Array(0);
let scratchPage: DataPage | undefined;

/** The scratch buffer cut to `length` bytes: the same array object while the length repeats. */
function scratchOf(length: number): Uint8Array {
  if (scratch.length === length) return scratch;
  scratch = scratch.buffer.byteLength >= length ? new Uint8Array(scratch.buffer, 0, length) : new Uint8Array(length);
  return scratch;
}

/**
 * File bytes a forward scan read ahead of the page it needed (see `TableFile.loadPageAhead`):
 * one per iterator. `bytes` holds the file from `fileStart`.
 *
 * With `reuse` (for an iterator whose entries are valid only until it moves, so nobody holds
 * a page it left), every refill reads into the same array and each page is decoded into the
 * same page object: a scan then allocates nothing per window or page, and its garbage does
 * not hold the worker's memory up between collections. Without it every refill reads into a
 * new array and every page is a new object, so pages decoded earlier stay valid.
 */
const EMPTY_WINDOW = new Uint8Array(0);

export class ReadaheadWindow {
  readonly sizeBytes: number;
  readonly reuse: boolean;
  bytes: Uint8Array = EMPTY_WINDOW;
  fileStart = 0;
  /** With `reuse`: the array windows are read into (at least `sizeBytes`), and the last page decoded. */
  buffer: Uint8Array = EMPTY_WINDOW;
  page: DataPage | undefined = undefined;

  constructor(sizeBytes: number, reuse: boolean) {
    this.sizeBytes = sizeBytes;
    this.reuse = reuse;
  }

  /** Forgets the window, its array and page: for an iterator that ran out of its file. */
  release(): void {
    this.bytes = EMPTY_WINDOW;
    this.buffer = EMPTY_WINDOW;
    this.page = undefined;
    this.fileStart = 0;
  }

  /** An array of `length` bytes to read the next window into. */
  arrayFor(length: number): Uint8Array {
    if (!this.reuse) return new Uint8Array(length);
    if (this.buffer.length < length) this.buffer = new Uint8Array(Math.max(length, this.sizeBytes));
    return this.buffer.subarray(0, length);
  }
}

export class TableFile implements OverflowSource {
  readonly path: string;
  readonly fileNumber: number;
  readonly layout: TableLayout;
  readonly index: PageIndex;
  readonly dataRegionBytes: number;
  private readonly file: VfsFile;
  private readonly cache: BlockCache | undefined;
  /**
   * Whether pages are stored raw, so a page's image is the buffer it was read into and the
   * cache may reuse that buffer for another read. An lz4 page's image is the decoder's output.
   */
  private readonly rawPages: boolean;

  constructor(init: { file: VfsFile; fileNumber: number; layout: TableLayout; index: PageIndex; dataRegionBytes: number; cache: BlockCache | undefined }) {
    this.file = init.file;
    this.path = init.file.path;
    this.fileNumber = init.fileNumber;
    this.layout = init.layout;
    this.index = init.index;
    this.dataRegionBytes = init.dataRegionBytes;
    this.cache = init.cache;
    this.rawPages = init.layout.compression === 'none';
  }

  /**
   * Data page `i` from the cache, or read, verified and decoded, and cached when the cache
   * admits it (`BlockCache.admits`: always until it first evicts, then on a page's second
   * recent miss), as for point lookups. So a scan does not flush the cache with pages read once.
   */
  loadPage(i: number): DataPage {
    const cache = this.cache;
    const cached = cache?.lookup(this.fileNumber, i);
    if (cached !== undefined) return cached;
    const page = this.readPage(i, new Uint8Array(this.index.storedBytes[i] ?? 0));
    if (cache?.admits(this.fileNumber, i) === true) cache.insert(this.fileNumber, i, page);
    return page;
  }

  /**
   * Data page `i` for an iterator that unpins it (`unpinPage`) once its consumer holds no view
   * into it: pinned in the cache, or read (into a spare page when the cache has one), cached
   * when the cache admits it, and pinned. So a page an iterator has let go of can take the
   * next page read. Without a cache this is `loadPage`, and `unpinPage` does nothing.
   */
  loadPagePinned(i: number): DataPage {
    const cache = this.cache;
    if (cache === undefined) return this.loadPage(i);
    const cached = cache.lookup(this.fileNumber, i, 'pinned');
    if (cached !== undefined) return cached;
    const page = this.readRecyclable(cache, i);
    cache.pin(page);
    if (cache.admits(this.fileNumber, i)) cache.insert(this.fileNumber, i, page, this.rawPages);
    else if (this.rawPages) cache.adoptWhenUnpinned(page);
    return page;
  }

  /**
   * Data page `i` for a forward scan that reads every page once: with a cache this is
   * `loadPagePinned`; without one, the page comes from `window`, which is refilled from the
   * page on (`window.sizeBytes`, or the page when it is larger, up to the end of the data
   * region) when it does not hold the whole page. One read then serves the next pages too,
   * instead of one read (and one buffer) per page. With `window.reuse` the page returned
   * before is rewritten (see `ReadaheadWindow`).
   */
  loadPageAhead(i: number, window: ReadaheadWindow): DataPage {
    if (this.cache !== undefined) return this.loadPagePinned(i);
    const fileOffset = this.index.fileOffsets[i] ?? 0;
    const storedBytes = this.index.storedBytes[i] ?? 0;
    let start = fileOffset - window.fileStart;
    if (start < 0 || start + storedBytes > window.bytes.length) {
      const length = Math.max(storedBytes, Math.min(window.sizeBytes, this.dataRegionBytes - fileOffset));
      const into = window.arrayFor(length);
      // Until the read succeeds the window holds nothing: with `reuse` it overwrites the old one.
      window.bytes = EMPTY_WINDOW;
      window.bytes = this.readSync(fileOffset, into, i);
      window.fileStart = fileOffset;
      start = 0;
    }
    const page = this.decodePage(window.bytes.subarray(start, start + storedBytes), i, window.page);
    if (window.reuse) window.page = page;
    return page;
  }

  /** Whether `loadPagePinned` pins pages (it does when the file is read through a cache). */
  get pinsPages(): boolean {
    return this.cache !== undefined;
  }

  /** Lets go of a page from `loadPagePinned`. */
  unpinPage(page: DataPage): void {
    this.cache?.unpin(page);
  }

  /**
   * Data page `i` for a point lookup: from the cache, or read and cached when the cache
   * admits it (`BlockCache.admits`), or else read into a scratch page shared by every
   * table, which saves allocating and caching a page that will probably not be read again.
   * A page cached this way stays recyclable: once evicted, it (object and buffer) takes the
   * next page read here (see BlockCache). So the page, and any view into it, is valid only
   * until the next `loadPageTransient` of any table: the caller copies what it keeps before
   * reading another page.
   */
  loadPageTransient(i: number): DataPage {
    const cache = this.cache;
    if (cache === undefined) return this.loadPage(i);
    const cached = cache.lookup(this.fileNumber, i, 'transient');
    if (cached !== undefined) return cached;
    if (cache.admits(this.fileNumber, i)) {
      const page = this.readRecyclable(cache, i);
      cache.insert(this.fileNumber, i, page, this.rawPages);
      return page;
    }
    scratchPage = this.readPage(i, scratchOf(this.index.storedBytes[i] ?? 0), scratchPage);
    return scratchPage;
  }

  /**
   * Reads data page `i` into a page of its own: a raw page into the buffer of a spare page when
   * the cache has one, for the cache to reuse in turn (see BlockCache, `rawPages`).
   */
  private readRecyclable(cache: BlockCache, i: number): DataPage {
    const storedBytes = this.index.storedBytes[i] ?? 0;
    const spare = this.rawPages ? cache.takeSpare(storedBytes) : undefined;
    return this.readPage(i, spare?.bytes ?? new Uint8Array(storedBytes), spare);
  }

  /** Reads data page `i`'s stored bytes into `buffer` (exactly their length) and decodes them, into `reuse` when given. */
  private readPage(i: number, buffer: Uint8Array, reuse?: DataPage): DataPage {
    return this.decodePage(this.readSync(this.index.fileOffsets[i] ?? 0, buffer, i), i, reuse);
  }

  /**
   * Verifies and decodes the stored bytes of data page `i` (a raw page or an lz4 frame), into
   * `reuse` when given (a page object nobody holds any more; see `DataPage.decode`).
   */
  decodePage(stored: Uint8Array, i: number, reuse?: DataPage): DataPage {
    const where = this.pageWhere(i);
    let image = stored;
    if (this.layout.compression === 'lz4') {
      const frame = decodeFrame(stored, 0, this.layout.pageSizeBytes, where);
      if (frame.frameBytes !== stored.length) throw new CorruptionError(where, 'frame length disagrees with the index');
      image = frame.image;
    }
    return DataPage.decode(image, this.layout, i, where, reuse);
  }

  readOverflow(page: DataPage, refOffset: number, length: number): Uint8Array {
    const ref = this.overflowRange(page, refOffset);
    const stored = this.readSync(ref.fileOffset, new Uint8Array(ref.storedBytes), ref.where);
    return decodeOverflowChain(stored, length, this.layout, ref.where);
  }

  /** Where the chain referenced at `refOffset` of `page` is stored, checked against the data region. */
  overflowRange(page: DataPage, refOffset: number): { fileOffset: number; storedBytes: number; where: string } {
    const fileOffset = readUint64Number(page.view, refOffset);
    const storedBytes = page.view.getUint32(refOffset + 8, true);
    const where = `${this.path} overflow chain at ${fileOffset} (from data page ${page.ordinal})`;
    if (fileOffset < 0 || fileOffset + storedBytes > this.dataRegionBytes) throw new CorruptionError(where, 'chain lies outside the data region');
    return { fileOffset, storedBytes, where };
  }

  /** Async read of `length` bytes at `position`, for `verify`. */
  async read(position: number, length: number, where: string): Promise<Uint8Array> {
    const buffer = new Uint8Array(length);
    const read = await this.file.read({ buffer, position });
    if (read !== length) throw new CorruptionError(where, `file ends after ${read} of ${length} bytes`);
    return buffer;
  }

  pageWhere(i: number): string {
    return `${this.path} data page ${i}`;
  }

  /** Fills `buffer` from `position`; `where` names the page (its index) or chain for errors. */
  private readSync(position: number, buffer: Uint8Array, where: string | number): Uint8Array {
    const read = this.file.readSync({ buffer, position });
    if (read !== buffer.length) {
      throw new CorruptionError(typeof where === 'number' ? this.pageWhere(where) : where, `file ends after ${read} of ${buffer.length} bytes`);
    }
    return buffer;
  }

  /** Reads and verifies the metadata again (for `verify`). */
  rereadMetadata(): Promise<TableMetadata> {
    return readMetadata(this.file, undefined);
  }

  close(): Promise<void> {
    return this.file.close();
  }
}
