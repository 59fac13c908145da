import { EntryKind } from '@kv/base';
import { describe, expect, test } from 'vitest';
import { BlockCache, CACHE_ENTRY_OVERHEAD_BYTES } from '../src/index.js';
import type { DataPage } from '../src/data-page.js';
import { buildTable, openTable, seqOf, text } from './helpers.js';

/** A stand-in page whose charge is exactly 1,000 bytes. */
function page(): DataPage {
  return { bytes: new Uint8Array(1000 - CACHE_ENTRY_OVERHEAD_BYTES) } as unknown as DataPage;
}

describe('BlockCache', () => {
  test('counts hits and misses and evicts least recently used first', () => {
    const cache = new BlockCache({ capacityBytes: 3000, evictionFraction: 0 });
    const pages = [page(), page(), page(), page()];
    cache.insert(1, 0, pages[0] as DataPage);
    cache.insert(1, 1, pages[1] as DataPage);
    cache.insert(2, 0, pages[2] as DataPage);
    expect(cache.lookup(1, 0)).toBe(pages[0]);
    cache.insert(2, 1, pages[3] as DataPage);
    expect(cache.lookup(1, 1)).toBeUndefined();
    expect(cache.lookup(1, 0)).toBe(pages[0]);
    expect(cache.lookup(2, 0)).toBe(pages[2]);
    expect(cache.lookup(2, 1)).toBe(pages[3]);
    expect(cache.stats).toEqual({ hits: 4, misses: 1, evictions: 1, usageBytes: 3000, capacityBytes: 3000, entries: 3 });
  });

  test('evicts down to capacity × (1 − evictionFraction) once usage passes capacity', () => {
    const cache = new BlockCache({ capacityBytes: 10_000, evictionFraction: 0.25 });
    for (let i = 0; i < 10; i++) cache.insert(7, i, page());
    expect(cache.stats).toMatchObject({ entries: 10, usageBytes: 10_000, evictions: 0 });
    cache.insert(7, 10, page());
    expect(cache.stats).toMatchObject({ entries: 7, usageBytes: 7000, evictions: 4 });
    for (const i of [0, 1, 2, 3]) expect(cache.lookup(7, i)).toBeUndefined();
    for (const i of [4, 5, 10]) expect(cache.lookup(7, i)).toBeDefined();
  });

  test('default eviction fraction is 0.1', () => {
    const cache = new BlockCache({ capacityBytes: 10_000 });
    for (let i = 0; i < 11; i++) cache.insert(1, i, page());
    expect(cache.stats).toMatchObject({ entries: 9, usageBytes: 9000 });
  });

  test('capacity 0 disables caching; setCapacity shrinks at once', () => {
    const off = new BlockCache({ capacityBytes: 0 });
    off.insert(1, 0, page());
    expect(off.lookup(1, 0)).toBeUndefined();
    expect(off.stats).toMatchObject({ entries: 0, usageBytes: 0, misses: 1 });
    const cache = new BlockCache({ capacityBytes: 5000, evictionFraction: 0 });
    for (let i = 0; i < 5; i++) cache.insert(1, i, page());
    cache.setCapacity(2000);
    expect(cache.stats).toMatchObject({ entries: 2, usageBytes: 2000, capacityBytes: 2000 });
    expect(cache.lookup(1, 4)).toBeDefined();
    cache.setCapacity(0);
    expect(cache.stats).toMatchObject({ entries: 0, usageBytes: 0 });
  });

  test('evictFile drops only that file, without counting evictions', () => {
    const cache = new BlockCache({ capacityBytes: 100_000 });
    for (let i = 0; i < 3; i++) cache.insert(1, i, page());
    for (let i = 0; i < 2; i++) cache.insert(2, i, page());
    cache.evictFile(1);
    cache.evictFile(99);
    expect(cache.stats).toMatchObject({ entries: 2, usageBytes: 2000, evictions: 0 });
    expect(cache.lookup(1, 0)).toBeUndefined();
    expect(cache.lookup(2, 1)).toBeDefined();
  });

  test('rejects invalid options', () => {
    expect(() => new BlockCache({ capacityBytes: -1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => new BlockCache({ capacityBytes: 1, evictionFraction: 1 })).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
  });

  test('a reader serves repeated gets of one page from the cache', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => ({ key: text(`k${i}`), seq: 1, kind: EntryKind.Put, value: text(`v${i}`) }));
    const { vfs } = await buildTable(entries);
    const cache = new BlockCache({ capacityBytes: 1 << 20 });
    const reader = await openTable(vfs, cache);
    for (const entry of entries) reader.get(entry.key, seqOf(5));
    expect(cache.stats).toMatchObject({ hits: 9, misses: 1, entries: 1 });
    cache.evictFile(reader.fileNumber);
    expect(reader.get(text('k3'), seqOf(5))?.value).toEqual(text('v3'));
    expect(cache.stats).toMatchObject({ misses: 2, entries: 1 });
    await reader.close();
  });
});
