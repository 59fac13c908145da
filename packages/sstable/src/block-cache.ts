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
 * Spare pages: a page only point lookups have seen (`insert(…, recyclable)`, `lookup(…,
 * transient)`) is read by callers that copy what they keep before they read another page, so
 * once evicted nobody holds it or its bytes, and the page object with its buffer is kept for
 * the next page read (`takeSpare`, then `DataPage.decode(…, reuse)`) instead of being left to
 * the garbage collector. Iterators pin the pages they read (`lookup(…, 'pinned')`, `pin`) and
 * unpin them once their consumer holds no view into them (`unpin`), so a pinned page that
 * leaves the cache becomes a spare when its last pin goes; so does a page an iterator read
 * without caching it. A page any other caller may hold (`lookup(…, 'keep')`, or an `insert`
 * not marked recyclable) is never recycled.
 * Spare pages count against the capacity with the cached pages. The cache's own node of an
 * evicted page is reused too. So a cache that reads one page per miss allocates nothing that
 * outlives the miss in its steady state: no `ArrayBuffer` (no external-memory accounting, no
 * allocator churn behind the RSS), and no page or node object that would be promoted to the
 * old generation and die there, which grew the main thread's heap by tens of MiB between
 * full collections.
 */
import { assert, InvalidArgumentError, invariantsEnabled, RingQueue } from '@kv/base';
import { AdmissionFilter } from './admission-filter.js';
import type { DataPage } from './data-page.js';

/** Heap bytes charged per cached page beyond its image: the page object, node and map slot. */
export const CACHE_ENTRY_OVERHEAD_BYTES = 240;
const EVICTION_FRACTION_DEFAULT = 0.1;
/** Evicted nodes kept for reuse; one eviction pass frees at most a tenth of the pages (by default). */
const FREE_NODES_MAX = 4096;
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
  /** Bytes of spare pages kept for reuse (within the capacity, with `usageBytes`). */
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
  /** Undefined once the page left the cache, so a node waiting in the queue keeps no page alive. */
  page: DataPage | undefined;
  chargeBytes: number;
  /** Set by a hit; the hand clears it once instead of evicting the page. */
  referenced: boolean;
  /** False once the page left the cache (evicted, or its file dropped); the hand skips it. */
  cached: boolean;
  /**
   * Whether only transient point lookups and pinning iterators have seen the page, so its
   * buffer may be reused once it has left and no pin is left.
   */
  recyclable: boolean;
}

/**
 * How a caller of `lookup` uses the page: `keep` may hold it and its views for as long as it
 * likes (the page is then never recycled); `transient` copies what it keeps before it reads
 * another page; `pinned` holds it until it calls `unpin`.
 */
export type PageUse = 'keep' | 'transient' | 'pinned';

export class BlockCache {
  private readonly files = new Map<number, FilePages>();
  private readonly evictionFraction: number;
  private capacityBytes: number;
  private usageBytes = 0;
  private entries = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  /**
   * Cached pages in CLOCK order: the hand takes nodes from the front and puts the referenced
   * ones back at the end. A ring, so going round allocates nothing (an array used this way was
   * copied whenever its spent front was dropped, and the copies died in the old generation).
   * Pages of dropped files stay in it, not cached, until the hand reaches them.
   */
  private readonly queue = new RingQueue<CacheNode>();
  private readonly admission = new AdmissionFilter();
  /** Recyclable pages that left the cache, all of `spareLength` bytes. */
  private spare: DataPage[] = [];
  private spareLength = 0;
  /** Nodes of evicted pages, which nothing else refers to, for the next inserts. */
  private freeNodes: CacheNode[] = [];

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

  /** The cached page, marked most recently used, or undefined (counted as a miss). See `PageUse`. */
  lookup(fileNumber: number, pageIndex: number, use: PageUse = 'keep'): DataPage | undefined {
    const node = this.files.get(fileNumber)?.nodes[pageIndex];
    if (node === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    node.referenced = true;
    const page = node.page as DataPage;
    if (use === 'keep') node.recyclable = false;
    else if (use === 'pinned') page.pins++;
    return page;
  }

  /** Pins a page the caller read itself (see `unpin`). */
  pin(page: DataPage): void {
    page.pins++;
  }

  /**
   * Lets go of one pin on `page` (from `lookup(…, 'pinned')` or `pin`); the caller holds no view
   * into it any more. The last pin of a recyclable page that has left the cache makes it a spare.
   */
  unpin(page: DataPage): void {
    if (invariantsEnabled()) assert(page.pins > 0, 'unpin a pinned page');
    page.pins--;
    if (page.pins > 0 || !page.spareWhenUnpinned) return;
    page.spareWhenUnpinned = false;
    this.keepSpare(page);
  }

  /**
   * Takes a page a pinning caller read without caching it: when its bytes are a buffer of
   * their own, it becomes a spare when its last pin goes.
   */
  adoptWhenUnpinned(page: DataPage): void {
    page.spareWhenUnpinned = ownsItsBuffer(page.bytes);
  }

  /**
   * A recyclable page of exactly `length` bytes that left the cache, or undefined when there is
   * none. Its bytes are stale: the caller fills all of them and decodes the page again
   * (`DataPage.decode(…, reuse)`).
   */
  takeSpare(length: number): DataPage | undefined {
    if (length !== this.spareLength) return undefined;
    const page = this.spare.pop();
    if (page !== undefined && invariantsEnabled()) assert(page.pins === 0 && !page.spareWhenUnpinned, 'a spare page is not pinned');
    return page;
  }

  /**
   * Whether a read that missed page (`fileNumber`, `pageIndex`) should cache it: always
   * until the cache first had to evict; from then on, only on the page's second recent miss
   * (see `AdmissionFilter`). Never when caching is disabled. Point lookups and iterators
   * both ask.
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
    const node = this.newNode({ fileNumber, pageIndex, page, chargeBytes, recyclable: recyclable && ownsItsBuffer(page.bytes) });
    pages.nodes[pageIndex] = node;
    pages.count++;
    this.queue.push(node);
    this.usageBytes += chargeBytes;
    this.entries++;
    // The page just inserted is not a victim of its own insert: its caller is about to read it
    // (and a recyclable page would be put among the spares, poisoned under invariants, first).
    if (this.usageBytes > this.capacityBytes) this.evict(node);
    this.trimSpare();
  }

  /** A node for a page being inserted: an evicted page's, or a new one. */
  private newNode(fields: Pick<CacheNode, 'fileNumber' | 'pageIndex' | 'page' | 'chargeBytes' | 'recyclable'>): CacheNode {
    const { fileNumber, pageIndex, page, chargeBytes, recyclable } = fields;
    const node = this.freeNodes.pop();
    if (node === undefined) return { fileNumber, pageIndex, page, chargeBytes, referenced: false, cached: true, recyclable };
    node.fileNumber = fileNumber;
    node.pageIndex = pageIndex;
    node.page = page;
    node.chargeBytes = chargeBytes;
    node.referenced = false;
    node.cached = true;
    node.recyclable = recyclable;
    return node;
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
    if (this.queue.length > 2 * this.entries + 1024) this.queue.retain((node) => node.cached);
    this.files.delete(fileNumber);
  }

  /**
   * Takes a page out of the cache's accounting, keeping it as a spare when it may be reused
   * (at once, or when its last pin goes) and fits.
   */
  private release(node: CacheNode): void {
    const page = node.page;
    node.cached = false;
    node.page = undefined;
    this.usageBytes -= node.chargeBytes;
    this.entries--;
    if (!node.recyclable || page === undefined) return;
    if (page.pins > 0) page.spareWhenUnpinned = true;
    else this.keepSpare(page);
  }

  /** Keeps a page nobody holds as a spare, when it fits beside the cached pages. */
  private keepSpare(page: DataPage): void {
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
    this.spare.push(page);
  }

  /** Drops spare buffers until they and the cached pages fit the capacity. */
  private trimSpare(): void {
    while (this.spare.length > 0 && this.usageBytes + this.spare.length * this.spareLength > this.capacityBytes) this.spare.pop();
  }

  /**
   * Runs the CLOCK hand until usage is at most capacity × (1 − evictionFraction). `spared` (the
   * page being inserted) goes round again instead of being evicted; when it is all that is left
   * it is evicted, but never kept as a spare, since its caller is about to read it.
   */
  private evict(spared?: CacheNode): void {
    const target = this.capacityBytes * (1 - this.evictionFraction);
    while (this.usageBytes > target && this.queue.length > 0) {
      const node = this.queue.shift() as CacheNode;
      if (!node.cached) continue;
      if (node === spared) {
        if (this.entries > 1) {
          this.queue.push(node);
          continue;
        }
        // Alone over the target (a page near the capacity): it leaves, but not as a spare.
        node.recyclable = false;
      }
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
      // A cached page is in the queue once, and the hand just took it out, so nothing refers
      // to the node any more: it can carry the next inserted page.
      if (this.freeNodes.length < FREE_NODES_MAX) this.freeNodes.push(node);
    }
  }
}

/** Whether `bytes` is the whole of its buffer, so reusing the buffer touches no other array. */
function ownsItsBuffer(bytes: Uint8Array): boolean {
  return bytes.byteOffset === 0 && bytes.length === bytes.buffer.byteLength;
}

function checkCapacity(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidArgumentError('capacityBytes', `${bytes} is not a non-negative integer`);
}
