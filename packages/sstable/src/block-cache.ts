/**
 * A cache of decoded data pages keyed by (file number, page index), under a byte budget,
 * evicting with CLOCK (second chance), an approximation of LRU: pages sit in a queue in
 * insertion order; a hit only sets the page's reference bit (one store, no relinking); when
 * usage passes the capacity, the hand takes pages from the front: a referenced page loses its
 * bit and goes to the back, an unreferenced one is evicted, until usage is at most
 * capacity × (1 − evictionFraction). Each eviction costs O(1) amortized, so a cache smaller
 * than the working set (every read a miss) stays cheap.
 * Capacity 0 disables caching. Cached pages are immutable while cached and may be shared by any
 * number of readers and iterators; eviction drops the cache's reference, and reuses the buffer
 * only of a page no one may hold (below).
 *
 * Spare buffers: a page only point lookups have seen (`insert(…, recyclable)`, `lookup(…,
 * transient)`) is read by callers that copy what they keep before they read another page, so
 * once evicted nobody holds its bytes, and its buffer is kept for the next page read
 * (`takeSpare`) instead of being left to the garbage collector. A page an iterator or any other
 * caller may hold is never recycled. Spare buffers count against the capacity with the cached
 * pages, so a cache that reads one page per miss allocates nothing in its steady state: no
 * `ArrayBuffer` per miss, no external-memory accounting, no allocator churn behind the RSS.
 */
import { InvalidArgumentError, invariantsEnabled } from '@kv/base';
import { AdmissionFilter } from './admission-filter.js';
import type { DataPage } from './data-page.js';

/** Heap bytes charged per cached page beyond its image: the page object, node and map slot. */
export const CACHE_ENTRY_OVERHEAD_BYTES = 240;
const EVICTION_FRACTION_DEFAULT = 0.1;
/** What a spare buffer is filled with when invariants are on. */
const SPARE_POISON = 0xdb;
/** A 4 KiB page and its overhead: sizes the admission filter to about one slot per cached page. */
const TYPICAL_PAGE_CHARGE_BYTES = 4096 + CACHE_ENTRY_OVERHEAD_BYTES;

export interface BlockCacheOptions {
  capacityBytes: number;
  evictionFraction?: number;
}

export interface BlockCacheStats {
  hits: number;
  misses: number;
  evictions: number;
  usageBytes: number;
  capacityBytes: number;
  entries: number;
  /** Bytes of spare page buffers kept for reuse (within the capacity, with `usageBytes`). */
  spareBytes: number;
}

/**
 * The cached pages of one file, indexed by page number: an array lookup instead of a second
 * hash lookup on every hit. Slots of pages not cached hold undefined.
 */
interface FilePages {
  nodes: (CacheNode | undefined)[];
  count: number;
}

interface CacheNode {
  fileNumber: number;
  pageIndex: number;
  /** Undefined once the page left the cache, so a spent queue slot keeps no page alive. */
  page: DataPage | undefined;
  chargeBytes: number;
  /** Set by a hit; the hand clears it once instead of evicting the page. */
  referenced: boolean;
  /** False once the page left the cache (evicted, or its file dropped); the hand skips it. */
  cached: boolean;
  /** Whether only transient point lookups have seen the page, so its buffer may be reused once it leaves. */
  recyclable: boolean;
}

export class BlockCache {
  private readonly files = new Map<number, FilePages>();
  private readonly evictionFraction: number;
  private capacityBytes: number;
  private usageBytes = 0;
  private entries = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  /** Cached pages in CLOCK order from `hand` on; entries before `hand` are spent. */
  private queue: CacheNode[] = [];
  private hand = 0;
  private readonly admission = new AdmissionFilter();
  /** Buffers of recyclable pages that left the cache, all of `spareLength` bytes. */
  private spare: Uint8Array[] = [];
  private spareLength = 0;

  constructor(options: BlockCacheOptions) {
    checkCapacity(options.capacityBytes);
    const fraction = options.evictionFraction ?? EVICTION_FRACTION_DEFAULT;
    if (!(fraction >= 0 && fraction < 1)) throw new InvalidArgumentError('evictionFraction', `${fraction} is not in [0, 1)`);
    this.capacityBytes = options.capacityBytes;
    this.evictionFraction = fraction;
    this.admission.resize(options.capacityBytes / TYPICAL_PAGE_CHARGE_BYTES);
  }

  get stats(): BlockCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      usageBytes: this.usageBytes,
      capacityBytes: this.capacityBytes,
      entries: this.entries,
      spareBytes: this.spare.length * this.spareLength,
    };
  }

  /** Changes the budget; shrinking evicts at once. */
  setCapacity(bytes: number): void {
    checkCapacity(bytes);
    this.capacityBytes = bytes;
    this.admission.resize(bytes / TYPICAL_PAGE_CHARGE_BYTES);
    if (this.usageBytes > bytes) this.evict();
    this.trimSpare();
  }

  /**
   * The cached page, marked most recently used, or undefined (counted as a miss). `transient`:
   * the caller copies what it keeps of the page before it reads another page, so the page
   * stays recyclable; otherwise the caller may hold the page, and it never is.
   */
  lookup(fileNumber: number, pageIndex: number, transient = false): DataPage | undefined {
    const node = this.files.get(fileNumber)?.nodes[pageIndex];
    if (node === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    node.referenced = true;
    if (!transient) node.recyclable = false;
    return node.page as DataPage;
  }

  /**
   * A buffer of exactly `length` bytes from a recyclable page that left the cache, or undefined
   * when there is none. Its contents are stale: the caller fills all of it.
   */
  takeSpare(length: number): Uint8Array | undefined {
    if (length !== this.spareLength) return undefined;
    return this.spare.pop();
  }

  /**
   * Whether a point lookup that missed page (`fileNumber`, `pageIndex`) should cache it:
   * always until the cache first had to evict; from then on, only on the page's second
   * recent miss (see `AdmissionFilter`). Never when caching is disabled. Iterators cache
   * every page they read.
   */
  admits(fileNumber: number, pageIndex: number): boolean {
    if (this.capacityBytes === 0) return false;
    if (this.evictions === 0) return true;
    return this.admission.secondMiss(fileNumber, pageIndex);
  }

  /**
   * Adds a page just read. No-op when caching is disabled or the page is already cached. A
   * file's slots run up to its highest cached page index (8 bytes each). `recyclable`: the
   * page's bytes are a buffer of their own that only a transient point lookup has seen (see
   * `lookup`); its buffer is then reused once the page leaves the cache.
   */
  insert(fileNumber: number, pageIndex: number, page: DataPage, recyclable = false): void {
    if (this.capacityBytes === 0) return;
    if (!Number.isSafeInteger(pageIndex) || pageIndex < 0) throw new InvalidArgumentError('pageIndex', `${pageIndex} is not a non-negative integer`);
    let pages = this.files.get(fileNumber);
    if (pages === undefined) {
      pages = { nodes: [], count: 0 };
      this.files.set(fileNumber, pages);
    }
    // Grown by pushes, so the array stays dense (a write far past its end would make it sparse).
    while (pages.nodes.length <= pageIndex) pages.nodes.push(undefined);
    if (pages.nodes[pageIndex] !== undefined) return;
    const chargeBytes = page.bytes.length + CACHE_ENTRY_OVERHEAD_BYTES;
    const bytes = page.bytes;
    const ownBuffer = bytes.byteOffset === 0 && bytes.length === bytes.buffer.byteLength;
    const node: CacheNode = { fileNumber, pageIndex, page, chargeBytes, referenced: false, cached: true, recyclable: recyclable && ownBuffer };
    pages.nodes[pageIndex] = node;
    pages.count++;
    this.queue.push(node);
    this.usageBytes += chargeBytes;
    this.entries++;
    if (this.usageBytes > this.capacityBytes) this.evict();
    this.trimSpare();
  }

  /** Drops every page of a file (after the file is deleted). Not counted as evictions. */
  evictFile(fileNumber: number): void {
    const pages = this.files.get(fileNumber);
    if (pages === undefined) return;
    for (const node of pages.nodes) {
      if (node === undefined) continue;
      this.release(node);
    }
    // Pages of dropped files stay in the queue until the hand passes; when they outnumber the
    // cached ones (a cache that never fills, say), rebuild it.
    if (this.queue.length - this.hand > 2 * this.entries + 1024) {
      this.queue = this.queue.slice(this.hand).filter((node) => node.cached);
      this.hand = 0;
    }
    this.files.delete(fileNumber);
  }

  /** Takes a page out of the cache's accounting, keeping its buffer as a spare when it may be reused and fits. */
  private release(node: CacheNode): void {
    const page = node.page;
    node.cached = false;
    node.page = undefined;
    this.usageBytes -= node.chargeBytes;
    this.entries--;
    if (!node.recyclable || page === undefined) return;
    const bytes = page.bytes;
    if (bytes.length !== this.spareLength) {
      // Another page size (a database opened with another one): start over with this size.
      this.spare = [];
      this.spareLength = bytes.length;
    }
    if (this.usageBytes + (this.spare.length + 1) * bytes.length > this.capacityBytes) return;
    // With invariants on (tests), a spare's old bytes are overwritten at once, so a reader
    // that kept a view of a transient page across another page read sees garbage, not the
    // right bytes by luck.
    if (invariantsEnabled()) bytes.fill(SPARE_POISON);
    this.spare.push(bytes);
  }

  /** Drops spare buffers until they and the cached pages fit the capacity. */
  private trimSpare(): void {
    while (this.spare.length > 0 && this.usageBytes + this.spare.length * this.spareLength > this.capacityBytes) this.spare.pop();
  }

  /** Runs the CLOCK hand until usage is at most capacity × (1 − evictionFraction). */
  private evict(): void {
    const target = this.capacityBytes * (1 - this.evictionFraction);
    while (this.usageBytes > target && this.hand < this.queue.length) {
      const node = this.queue[this.hand++] as CacheNode;
      if (!node.cached) continue;
      if (node.referenced) {
        node.referenced = false;
        this.queue.push(node);
        continue;
      }
      const pages = this.files.get(node.fileNumber);
      if (pages !== undefined) {
        pages.nodes[node.pageIndex] = undefined;
        if (--pages.count === 0) this.files.delete(node.fileNumber);
      }
      this.release(node);
      this.evictions++;
    }
    // Drop the spent front once it is most of the array, so the queue stays O(entries).
    if (this.hand > 1024 && this.hand * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.hand);
      this.hand = 0;
    }
  }
}

function checkCapacity(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidArgumentError('capacityBytes', `${bytes} is not a non-negative integer`);
}
