/**
 * A cursor over one page file in internal order, both directions. It holds the current page
 * (so an evicted page stays usable) and builds the entry object only when `entry` is read.
 *
 * With `reuseEntry`, one entry object and one key array serve every step: `entry` and its key
 * are valid only until the iterator moves. That is for a consumer that copies what it keeps
 * (a compaction), and saves two allocations per entry.
 */
import { assert } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';
import { emptyEntry } from './data-page.js';
import type { DataPage, MutableEntry } from './data-page.js';
import { KeyScratch } from './key-scratch.js';
import { SEQ_MAX } from './format.js';
import type { TableFile } from './table-file.js';

export interface TableIteratorOptions {
  /** Rewrite one entry object and key array at each step (see the class comment). */
  reuseEntry?: boolean;
}

export class TableIterator implements InternalIterator {
  private readonly table: TableFile;
  private page: DataPage | undefined = undefined;
  private pageIndex = 0;
  private slot = 0;
  private current: InternalEntry | undefined = undefined;
  private readonly reused: { entry: MutableEntry; scratch: KeyScratch } | undefined;

  constructor(table: TableFile, options: TableIteratorOptions = {}) {
    this.table = table;
    this.reused = options.reuseEntry === true ? { entry: emptyEntry(), scratch: new KeyScratch() } : undefined;
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
    if (p < 0 || p >= this.table.index.pageCount) {
      this.page = undefined;
      return false;
    }
    this.page = undefined;
    const page = this.table.loadPage(p);
    this.page = page;
    this.pageIndex = p;
    this.slot = end === 'first' ? 0 : page.slotCount - 1;
    return true;
  }
}
