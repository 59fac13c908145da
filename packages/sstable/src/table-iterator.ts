/**
 * A cursor over one page file in internal order, both directions. It holds the current page
 * (so an evicted page stays usable) and builds the entry object only when `entry` is read.
 *
 * With `reuseEntry`, one entry object and one key array serve every step: `entry` and its key
 * are valid only until the iterator moves. That is for a consumer that copies what it keeps
 * (a compaction), and saves two allocations per entry.
 *
 * Pages are pinned in the block cache (`TableFile.loadPagePinned`). A page the iterator moves
 * off stays pinned, since views into it may still be in use, until the consumer says it holds
 * none (`releaseViews`); `release` lets go of the current page too. A consumer that never says
 * so leaves its pages pinned, which is safe: they are then never recycled, only collected.
 */
import { assert, newMutableEntry } from '@kv/base';
import type { InternalEntry, InternalIterator, MutableInternalEntry, SeqNum } from '@kv/base';
import type { DataPage } from './data-page.js';
import { KeyScratch } from './key-scratch.js';
import { countRetiredPages } from './retired-pages.js';
import { SEQ_MAX } from './format.js';
import { ReadaheadWindow } from './table-file.js';
import type { TableFile } from './table-file.js';

/**
 * Pages moved off that the iterator keeps track of between two `releaseViews`. The engine's
 * iterators release after every entry they hand out (or every few of `read(n)`), so they reach
 * this only in a step that skips many pages of deleted or hidden entries; it bounds what a
 * consumer that never releases keeps reachable. A page past the limit stays pinned, so it is
 * never recycled, only collected.
 */
const RETIRED_PAGES_MAX = 64;

export interface TableIteratorOptions {
  /** Rewrite one entry object and key array at each step (see the class comment). */
  reuseEntry?: boolean;
  /**
   * For a scan that reads each page once, forward, from a file opened without a block cache
   * (a compaction's inputs): read this many bytes of the file at once when moving forward or
   * seeking to a page the window does not hold, so one read serves the next pages too
   * (`TableFile.loadPageAhead`); every seek may read a whole window. Backward steps, and files
   * read through a cache, read page by page. The window is let go of once the iterator runs
   * out of its file. Default: no readahead.
   */
  readaheadBytes?: number;
}

export class TableIterator implements InternalIterator {
  private readonly table: TableFile;
  private page: DataPage | undefined = undefined;
  private pageIndex = 0;
  private slot = 0;
  private current: InternalEntry | undefined = undefined;
  /** Pages moved off since the last `releaseViews`, still pinned: `retired[0 .. retiredCount)`. */
  private readonly retired: (DataPage | undefined)[] = [];
  private retiredCount = 0;
  private readonly reused: { entry: MutableInternalEntry; scratch: KeyScratch } | undefined;
  private readonly window: ReadaheadWindow | undefined;

  constructor(table: TableFile, options: TableIteratorOptions = {}) {
    this.table = table;
    this.reused = options.reuseEntry === true ? { entry: newMutableEntry(), scratch: new KeyScratch() } : undefined;
    const readahead = options.readaheadBytes ?? 0;
    // With reuseEntry nobody holds a page the iterator left, so the window reuses its array and page.
    this.window = readahead > 0 ? new ReadaheadWindow(readahead, this.reused !== undefined) : undefined;
  }

  get valid(): boolean {
    return this.page !== undefined;
  }

  /** Requires `valid`. Key and value are views into a (possibly cached) page: copy to keep. */
  get entry(): InternalEntry {
    assert(this.page !== undefined, 'entry of a valid iterator');
    const reused = this.reused;
    this.current ??= reused === undefined ? this.page.entryAt(this.slot, this.table) : this.page.fillEntry(this.slot, this.table, reused.entry, reused.scratch);
    return this.current;
  }

  seekToFirst(): void {
    this.moveTo(0, 'first');
  }

  seekToLast(): void {
    this.moveTo(this.table.index.pageCount - 1, 'last');
  }

  seek(key: Uint8Array, seq: SeqNum = SEQ_MAX as SeqNum): void {
    const p = this.table.index.search(key, seq, true);
    if (!this.moveTo(p, 'first')) return;
    const page = this.page as DataPage;
    this.slot = page.search(key, seq, true, this.table);
    if (this.slot === page.slotCount) this.moveTo(p + 1, 'first');
  }

  seekForPrev(key: Uint8Array, seq: SeqNum = 0 as SeqNum): void {
    const p = this.table.index.search(key, seq, false);
    if (p === this.table.index.pageCount) {
      this.seekToLast();
      return;
    }
    this.moveTo(p, 'first');
    const page = this.page as DataPage;
    this.slot = page.search(key, seq, false, this.table);
    this.prev();
  }

  /** The consumer holds no view read from this iterator: pages it moved off may be reused. */
  releaseViews(): void {
    const count = this.retiredCount;
    if (count === 0) return;
    const retired = this.retired;
    for (let i = 0; i < count; i++) {
      this.table.unpinPage(retired[i] as DataPage);
      retired[i] = undefined;
    }
    this.retiredCount = 0;
    countRetiredPages(-count);
  }

  /** `releaseViews`, and lets go of the current page: the iterator is invalid until it is positioned again. */
  release(): void {
    this.releaseViews();
    const page = this.page;
    this.page = undefined;
    this.current = undefined;
    if (page !== undefined && this.table.pinsPages) this.table.unpinPage(page);
  }

  next(): void {
    assert(this.page !== undefined, 'next on a valid iterator');
    this.current = undefined;
    if (++this.slot < this.page.slotCount) return;
    this.moveTo(this.pageIndex + 1, 'first');
  }

  prev(): void {
    assert(this.page !== undefined, 'prev on a valid iterator');
    this.current = undefined;
    if (--this.slot >= 0) return;
    this.moveTo(this.pageIndex - 1, 'last');
  }

  /** Positions at the first or last slot of page p; invalid (returns false) outside the file. */
  private moveTo(p: number, end: 'first' | 'last'): boolean {
    this.current = undefined;
    this.leavePage();
    if (p < 0 || p >= this.table.index.pageCount) {
      this.page = undefined;
      // Out of the file: a compaction may keep this iterator (a level's finished file) to the end.
      this.window?.release();
      return false;
    }
    this.page = undefined;
    const page = this.window !== undefined && end === 'first' ? this.table.loadPageAhead(p, this.window) : this.table.loadPagePinned(p);
    this.page = page;
    this.pageIndex = p;
    this.slot = end === 'first' ? 0 : page.slotCount - 1;
    return true;
  }

  /**
   * Retires the current page, if any: it stays pinned until `releaseViews`. Past
   * RETIRED_PAGES_MAX the page is not tracked: it stays pinned for good. A file read without a
   * cache pins nothing, so there is nothing to track.
   */
  private leavePage(): void {
    const page = this.page;
    if (page === undefined || !this.table.pinsPages || this.retiredCount === RETIRED_PAGES_MAX) return;
    this.retired[this.retiredCount++] = page;
    countRetiredPages(1);
  }
}
