import { EntryKind } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { AdmissionFilter } from '../src/admission-filter.js';
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

  test('rejects a negative or fractional page index on insert; looking one up is a miss', () => {
    const cache = new BlockCache({ capacityBytes: 10_000 });
    for (const index of [-1, 1.5, Number.NaN]) {
      expect(() => cache.insert(1, index, page())).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
      expect(cache.lookup(1, index)).toBeUndefined();
    }
    expect(cache.stats).toMatchObject({ entries: 0, usageBytes: 0 });
  });

  test('behaves like a map of what it still holds, under any mix of inserts, lookups, file drops and resizes (model)', () => {
    // Goal: whatever it evicts, the cache never returns a page it was not given for that
    // (file, page), and its counts match what it holds. Page indexes are spread (0..5000) so
    // files have gaps between cached pages.
    const op = fc.oneof(
      fc.record({ kind: fc.constant('insert' as const), file: fc.integer({ min: 1, max: 3 }), index: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({ kind: fc.constant('lookup' as const), file: fc.integer({ min: 1, max: 3 }), index: fc.integer({ min: 0, max: 5000 }) }),
      fc.record({ kind: fc.constant('evictFile' as const), file: fc.integer({ min: 1, max: 3 }), index: fc.constant(0) }),
      fc.record({ kind: fc.constant('resize' as const), file: fc.constant(0), index: fc.integer({ min: 0, max: 12 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { maxLength: 200 }), (ops) => {
        const cache = new BlockCache({ capacityBytes: 8000 });
        const given = new Map<string, DataPage>();
        const counted = { hits: 0, misses: 0 };
        const lookup = (file: number, index: number): DataPage | undefined => {
          const found = cache.lookup(file, index);
          if (found === undefined) counted.misses++;
          else counted.hits++;
          return found;
        };
        for (const { kind, file, index } of ops) {
          const key = `${file}/${index}`;
          if (kind === 'insert') {
            const fresh = page();
            const before = lookup(file, index);
            cache.insert(file, index, fresh);
            if (before === undefined) given.set(key, fresh);
          } else if (kind === 'lookup') {
            const found = lookup(file, index);
            if (found !== undefined) expect(found).toBe(given.get(key));
          } else if (kind === 'evictFile') {
            cache.evictFile(file);
            for (const name of [...given.keys()]) if (name.startsWith(`${file}/`)) given.delete(name);
          } else {
            cache.setCapacity(index * 1000);
          }
          const held = [...given.keys()].filter((name) => {
            const [f, i] = name.split('/').map(Number);
            return lookup(f as number, i as number) !== undefined;
          });
          expect(cache.stats).toMatchObject(counted);
          expect(cache.stats.entries).toBe(held.length);
          expect(cache.stats.usageBytes).toBe(held.length * 1000);
          expect(cache.stats.usageBytes).toBeLessThanOrEqual(cache.stats.capacityBytes);
        }
      }),
      { numRuns: 200 },
    );
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

  test('admits every missed page until its first eviction, then only a page missed twice recently', () => {
    const cache = new BlockCache({ capacityBytes: 2000, evictionFraction: 0 });
    expect(cache.admits(1, 0)).toBe(true);
    cache.insert(1, 0, page());
    cache.insert(1, 1, page());
    expect(cache.admits(1, 2)).toBe(true);
    cache.insert(1, 2, page());
    expect(cache.stats.evictions).toBe(1);
    expect(cache.admits(3, 7)).toBe(false);
    expect(cache.admits(3, 8)).toBe(false);
    expect(cache.admits(3, 7)).toBe(true);
    // Admitting forgets the page: a third miss counts as a first one again.
    expect(cache.admits(3, 7)).toBe(false);
    expect(new BlockCache({ capacityBytes: 0 }).admits(1, 0)).toBe(false);
  });

  test('getTransient finds what get finds, through the cache or a scratch page', async () => {
    const entries = Array.from({ length: 400 }, (_, i) => ({ key: text(`k${String(i).padStart(3, '0')}`), seq: 1, kind: EntryKind.Put, value: text(`value-${i}`.padEnd(60, '.')) }));
    const { vfs } = await buildTable(entries, { pageSizeBytes: 1024 });
    const cache = new BlockCache({ capacityBytes: 3000 });
    const reader = await openTable(vfs, cache);
    for (let round = 0; round < 3; round++) {
      for (let i = 0; i < entries.length; i++) {
        const entry = entries[(i * 157) % entries.length] as (typeof entries)[number];
        const found = reader.getTransient(entry.key, seqOf(5));
        expect(found === undefined ? undefined : new TextDecoder().decode(found.value)).toBe(new TextDecoder().decode(entry.value));
      }
    }
    expect(reader.getTransient(text('absent'), seqOf(5))).toBeUndefined();
    expect(cache.stats.evictions).toBeGreaterThan(0);
    expect(cache.stats.misses).toBeGreaterThan(cache.stats.evictions + cache.stats.entries);
    await reader.close();
  });
});

describe('AdmissionFilter', () => {
  // Goal: the doorkeeper may forget a page, never admit one it was not shown before.
  // Strategy: random miss sequences over few files and pages (so hashed slots collide), with a
  // small table; a model records, per page, whether it was missed since it was last admitted.
  // Invariants: secondMiss(p) is true only when p was missed before and not admitted since.
  test('admits a page only on a repeated miss', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 5 }), fc.nat({ max: 3000 })), { maxLength: 3000 }), (misses) => {
        const filter = new AdmissionFilter();
        filter.resize(16);
        const pending = new Set<string>();
        for (const [file, pageIndex] of misses) {
          const id = `${file}/${pageIndex}`;
          if (filter.secondMiss(file, pageIndex)) {
            expect(pending.has(id)).toBe(true);
            pending.delete(id);
          } else {
            pending.add(id);
          }
        }
      }),
    );
  });

  test('remembers a miss while no other page shares its slot', () => {
    const filter = new AdmissionFilter();
    expect(filter.secondMiss(12, 34)).toBe(false);
    expect(filter.secondMiss(12, 34)).toBe(true);
    expect(filter.secondMiss(2 ** 20, 2 ** 24 - 1)).toBe(false);
    expect(filter.secondMiss(2 ** 20, 2 ** 24 - 1)).toBe(true);
  });
});
