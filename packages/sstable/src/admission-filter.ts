/**
 * The block cache's doorkeeper for every read that misses (point lookups and iterators): once
 * the cache is full, a page a read misses is cached only when it was missed once before, recently. A page read once by a
 * uniform random lookup is rarely read again before the cache would evict it, and caching it
 * costs an allocation, an insertion and an eviction; a page missed twice is worth keeping.
 *
 * "Recently" is a table of page ids with one slot per cached page: a miss writes the page's
 * id into its hashed slot, and a second miss finds it there. A collision overwrites an older
 * id, so the memory is fixed and the filter may forget, never misremember: a page can only
 * be admitted by a miss of its own id.
 */

/** Page ids are `fileNumber * 2^24 + pageIndex` (plus one, so 0 means empty). */
const PAGE_INDEX_RANGE = 2 ** 24;
const SLOTS_MIN = 1024;

export class AdmissionFilter {
  private slots: Float64Array = new Float64Array(SLOTS_MIN);
  private mask = SLOTS_MIN - 1;

  /** Sizes the table to about `pages` slots (a power of two); forgets what it held. */
  resize(pages: number): void {
    let size = SLOTS_MIN;
    while (size < pages) size *= 2;
    if (size === this.slots.length) return;
    this.slots = new Float64Array(size);
    this.mask = size - 1;
  }

  /** True when this page was missed before and not forgotten since; else remembers it. */
  secondMiss(fileNumber: number, pageIndex: number): boolean {
    const id = fileNumber * PAGE_INDEX_RANGE + (pageIndex % PAGE_INDEX_RANGE) + 1;
    const slot = (Math.imul(fileNumber, 0x9e3779b1) ^ Math.imul(pageIndex, 0x85ebca77)) & this.mask;
    if (this.slots[slot] === id) {
      this.slots[slot] = 0;
      return true;
    }
    this.slots[slot] = id;
    return false;
  }
}
