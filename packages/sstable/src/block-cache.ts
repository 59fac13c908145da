/**
 * An LRU cache of decoded data pages keyed by (file number, page index), under a byte budget.
 * When usage passes the capacity it evicts least recently used pages down to
 * capacity × (1 − evictionFraction), so a full cache does not evict on every insert.
 * Capacity 0 disables caching. Cached pages are immutable and may be shared by any number of
 * readers and iterators; eviction only drops the cache's reference.
 */
import { InvalidArgumentError } from '@kv/base';
import type { DataPage } from './data-page.js';

/** Heap bytes charged per cached page beyond its image: the page object, node and map slot. */
export const CACHE_ENTRY_OVERHEAD_BYTES = 240;
const EVICTION_FRACTION_DEFAULT = 0.1;

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
}

interface CacheNode {
  fileNumber: number;
  pageIndex: number;
  page: DataPage;
  chargeBytes: number;
  /** The cache clock at the last use; smaller means less recently used. */
  usedAt: number;
}

export class BlockCache {
  private readonly files = new Map<number, Map<number, CacheNode>>();
  private readonly evictionFraction: number;
  private capacityBytes: number;
  private usageBytes = 0;
  private entries = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  private clock = 0;

  constructor(options: BlockCacheOptions) {
    checkCapacity(options.capacityBytes);
    const fraction = options.evictionFraction ?? EVICTION_FRACTION_DEFAULT;
    if (!(fraction >= 0 && fraction < 1)) throw new InvalidArgumentError('evictionFraction', `${fraction} is not in [0, 1)`);
    this.capacityBytes = options.capacityBytes;
    this.evictionFraction = fraction;
  }

  get stats(): BlockCacheStats {
    return {
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      usageBytes: this.usageBytes,
      capacityBytes: this.capacityBytes,
      entries: this.entries,
    };
  }

  /** Changes the budget; shrinking evicts at once. */
  setCapacity(bytes: number): void {
    checkCapacity(bytes);
    this.capacityBytes = bytes;
    if (this.usageBytes > bytes) this.evict();
  }

  /** The cached page, marked most recently used, or undefined (counted as a miss). */
  lookup(fileNumber: number, pageIndex: number): DataPage | undefined {
    const node = this.files.get(fileNumber)?.get(pageIndex);
    if (node === undefined) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    node.usedAt = ++this.clock;
    return node.page;
  }

  /** Adds a page just read. No-op when caching is disabled or the page is already cached. */
  insert(fileNumber: number, pageIndex: number, page: DataPage): void {
    if (this.capacityBytes === 0) return;
    let pages = this.files.get(fileNumber);
    if (pages === undefined) {
      pages = new Map();
      this.files.set(fileNumber, pages);
    }
    if (pages.has(pageIndex)) return;
    const chargeBytes = page.bytes.length + CACHE_ENTRY_OVERHEAD_BYTES;
    pages.set(pageIndex, { fileNumber, pageIndex, page, chargeBytes, usedAt: ++this.clock });
    this.usageBytes += chargeBytes;
    this.entries++;
    if (this.usageBytes > this.capacityBytes) this.evict();
  }

  /** Drops every page of a file (after the file is deleted). Not counted as evictions. */
  evictFile(fileNumber: number): void {
    const pages = this.files.get(fileNumber);
    if (pages === undefined) return;
    for (const node of pages.values()) {
      this.usageBytes -= node.chargeBytes;
      this.entries--;
    }
    this.files.delete(fileNumber);
  }

  /**
   * Drops least recently used pages until usage is at most capacity × (1 − evictionFraction).
   * Sorting by last use here, rather than keeping a linked list in order, keeps a hit to one
   * store into the node: a list relink touches two neighbours, i.e. two more cache misses on
   * every hit. The sort runs once per evictionFraction × capacity bytes inserted.
   */
  private evict(): void {
    const target = this.capacityBytes * (1 - this.evictionFraction);
    const nodes: CacheNode[] = [];
    for (const pages of this.files.values()) for (const node of pages.values()) nodes.push(node);
    nodes.sort((a, b) => a.usedAt - b.usedAt);
    for (const node of nodes) {
      if (this.usageBytes <= target) break;
      const pages = this.files.get(node.fileNumber);
      pages?.delete(node.pageIndex);
      if (pages?.size === 0) this.files.delete(node.fileNumber);
      this.usageBytes -= node.chargeBytes;
      this.entries--;
      this.evictions++;
    }
  }
}

function checkCapacity(bytes: number): void {
  if (!Number.isSafeInteger(bytes) || bytes < 0) throw new InvalidArgumentError('capacityBytes', `${bytes} is not a non-negative integer`);
}
