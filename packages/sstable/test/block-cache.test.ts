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
    expect(cache.stats).toEqual({ hits: 4, misses: 1, evictions: 1, usageBytes: 3000, capacityBytes: 3000, entries: 3, spareBytes: 0 });
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

  test('dropped files leave the CLOCK queue once they outnumber the cached pages', () => {
    // Goal: the queue compaction in evictFile (RingQueue.retain) keeps every cached page and
    // the eviction order, and the hand goes on working after it.
    // Strategy: 5,000 pages in five files, four files dropped (the queue then holds 4,000
    // nodes of dropped pages beside 1,000 cached ones, past the 2 × entries + 1,024 limit),
    // then enough inserts to make the hand go round.
    // Invariants: the queue holds only the cached pages after the drop; lookups still find the
    // surviving file's pages; accounting matches what is cached.
    const cache = new BlockCache({ capacityBytes: 10_000_000, evictionFraction: 0 });
    const survivors: DataPage[] = [];
    for (let file = 1; file <= 5; file++) {
      for (let i = 0; i < 1000; i++) {
        const p = page();
        cache.insert(file, i, p);
        if (file === 5) survivors.push(p);
      }
    }
    for (let file = 1; file <= 4; file++) cache.evictFile(file);
    const queue = (cache as unknown as { queue: { length: number } }).queue;
    expect(queue.length).toBe(1000);
    expect(cache.stats).toMatchObject({ entries: 1000, usageBytes: 1_000_000, evictions: 0 });
    for (let i = 0; i < 1000; i++) expect(cache.lookup(5, i)).toBe(survivors[i]);
    // The hits set every reference bit; new pages then push the usage past a smaller capacity.
    cache.setCapacity(1_200_000);
    for (let i = 0; i < 400; i++) cache.insert(6, i, page());
    expect(cache.stats.usageBytes).toBeLessThanOrEqual(1_200_000);
    expect(queue.length).toBe(cache.stats.entries);
    let cached = 0;
    for (let i = 0; i < 1000; i++) if (cache.lookup(5, i) !== undefined) cached++;
    for (let i = 0; i < 400; i++) if (cache.lookup(6, i) !== undefined) cached++;
    expect(cached).toBe(cache.stats.entries);
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

describe('BlockCache spare buffers', () => {
  /** A page of 760 bytes (1,000 charged) whose every byte is `id`. */
  function pageOf(bytes: Uint8Array, id: number): DataPage {
    bytes.fill(id);
    return { bytes, pins: 0, spareWhenUnpinned: false } as unknown as DataPage;
  }
  const PAGE_BYTES = 1000 - CACHE_ENTRY_OVERHEAD_BYTES;

  test('reuses only buffers no caller may still hold, and keeps spares within the capacity', () => {
    // Goal: recycling a page buffer must never change bytes a reader holds or a cached page.
    // Strategy: random reads as the readers do them: a transient lookup, or on a miss a page
    // read into takeSpare() ?? a new buffer and inserted recyclable; lookups that hold the
    // page for good ('hold'); iterator reads that pin the page (from the cache, or read and
    // inserted, or read and kept out of the cache) and unpin it later, oldest first; file
    // drops; capacity changes. Each page's bytes are its id.
    // Invariants: a held page keeps its bytes forever and a pinned one until it is unpinned;
    // every cached page still holds its id; a spare is never the buffer of a cached page;
    // usage + spares <= capacity.
    const op = fc.record({
      kind: fc.constantFrom('read', 'read', 'read', 'hold', 'pin', 'pin', 'pinUncached', 'unpin', 'unpin', 'evictFile', 'capacity'),
      file: fc.integer({ min: 1, max: 3 }),
      index: fc.integer({ min: 0, max: 9 }),
    });
    fc.assert(
      fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
        const cache = new BlockCache({ capacityBytes: 6000, evictionFraction: 0.34 });
        const held: { page: DataPage; id: number }[] = [];
        const pinned: { page: DataPage; id: number }[] = [];
        const cachedIds = new Map<string, number>();
        let nextId = 1;
        const read = (): { page: DataPage; id: number } => {
          const id = nextId++ % 250 || 1;
          return { page: pageOf(cache.takeSpare(PAGE_BYTES)?.bytes ?? new Uint8Array(PAGE_BYTES), id), id };
        };
        for (const { kind, file, index } of ops) {
          const key = `${file}/${index}`;
          if (kind === 'read' || kind === 'hold' || kind === 'pin') {
            const found = cache.lookup(file, index, kind === 'read' ? 'transient' : kind === 'hold' ? 'keep' : 'pinned');
            if (found !== undefined) expect(found.bytes[0]).toBe(cachedIds.get(key));
            if (found !== undefined && kind === 'hold') held.push({ page: found, id: found.bytes[0] as number });
            if (found !== undefined && kind === 'pin') pinned.push({ page: found, id: found.bytes[0] as number });
            if (found === undefined) {
              const fresh = read();
              if (kind === 'pin') cache.pin(fresh.page);
              cache.insert(file, index, fresh.page, kind !== 'hold');
              cachedIds.set(key, fresh.id);
              if (kind === 'hold') held.push(fresh);
              if (kind === 'pin') pinned.push(fresh);
            }
          } else if (kind === 'pinUncached') {
            const fresh = read();
            cache.pin(fresh.page);
            cache.adoptWhenUnpinned(fresh.page);
            pinned.push(fresh);
          } else if (kind === 'unpin') {
            const oldest = pinned.shift();
            if (oldest !== undefined) cache.unpin(oldest.page);
          } else if (kind === 'evictFile') {
            cache.evictFile(file);
          } else {
            cache.setCapacity(index * 1000);
          }
          for (const { page: kept, id } of [...held, ...pinned]) expect(kept.bytes.every((byte) => byte === id)).toBe(true);
          for (const [name, id] of cachedIds) {
            const [f, i] = name.split('/').map(Number);
            // A transient probe, so checking does not change what may be recycled.
            const cached = cache.lookup(f as number, i as number, 'transient');
            if (cached === undefined) cachedIds.delete(name);
            else expect(cached.bytes.every((byte) => byte === id)).toBe(true);
          }
          const { usageBytes, spareBytes, capacityBytes } = cache.stats;
          expect(usageBytes + spareBytes).toBeLessThanOrEqual(capacityBytes);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('hands back the buffer of an evicted transient page, never that of a held one', () => {
    const cache = new BlockCache({ capacityBytes: 2000, evictionFraction: 0 });
    const first = pageOf(new Uint8Array(PAGE_BYTES), 1);
    cache.insert(1, 0, first, true);
    cache.insert(1, 1, pageOf(new Uint8Array(PAGE_BYTES), 2), true);
    expect(cache.lookup(1, 1)?.bytes[0]).toBe(2); // held from now on
    cache.insert(1, 2, pageOf(new Uint8Array(PAGE_BYTES), 3), true); // evicts page 0
    expect(cache.stats.spareBytes).toBe(0); // usage 2000: no room for a spare
    cache.setCapacity(3000);
    const third = cache.lookup(1, 2, 'transient') as DataPage;
    const fourth = pageOf(new Uint8Array(PAGE_BYTES), 4);
    cache.insert(1, 3, fourth, true); // evicts page 1 (held): not kept
    expect(cache.takeSpare(PAGE_BYTES)).toBeUndefined();
    cache.setCapacity(4000);
    cache.evictFile(1); // pages 2 and 3, both transient: spares
    expect(cache.stats.spareBytes).toBe(2 * PAGE_BYTES);
    expect(cache.takeSpare(PAGE_BYTES + 1)).toBeUndefined();
    const reused = cache.takeSpare(PAGE_BYTES);
    expect(reused === third || reused === fourth).toBe(true);
    // Under test, invariants are on: a spare's old bytes are overwritten the moment it is kept.
    expect(reused?.bytes.every((byte) => byte === 0xdb)).toBe(true);
  });

  test('never evicts the page it is inserting while others can go, and never recycles it', () => {
    // Regression (found by review): with every older page referenced, the hand moved them all
    // behind the new page and evicted that one first, putting it among the spares (poisoned
    // under invariants) before its caller had read it.
    const cache = new BlockCache({ capacityBytes: 3000, evictionFraction: 0 });
    for (const index of [0, 1, 2]) cache.insert(1, index, pageOf(new Uint8Array(PAGE_BYTES), index + 1), true);
    for (const index of [0, 1, 2]) expect(cache.lookup(1, index, 'transient')).toBeDefined();
    const inserted = pageOf(new Uint8Array(PAGE_BYTES), 4);
    cache.insert(1, 3, inserted, true);
    expect(inserted.bytes.every((byte) => byte === 4)).toBe(true);
    expect(cache.lookup(1, 3, 'transient')).toBe(inserted);
    expect(cache.lookup(1, 0, 'transient')).toBeUndefined();
    expect(cache.stats).toMatchObject({ entries: 3, evictions: 1 });

    // A page over the capacity on its own leaves at once, but is not kept as a spare.
    const small = new BlockCache({ capacityBytes: 500 });
    const big = pageOf(new Uint8Array(PAGE_BYTES), 9);
    small.insert(2, 0, big, true);
    expect(big.bytes.every((byte) => byte === 9)).toBe(true);
    expect(small.stats).toMatchObject({ entries: 0, spareBytes: 0 });
    expect(small.takeSpare(PAGE_BYTES)).toBeUndefined();
  });

  test('an iterator reads on while transient gets recycle the pages around it', async () => {
    // A tiny cache, raw pages: every transient miss reuses an evicted page's buffer. The
    // iterator's pages were read for it (held), so they are never reused under it.
    const entries = Array.from({ length: 600 }, (_, i) => ({ key: text(`k${String(i).padStart(3, '0')}`), seq: 1, kind: EntryKind.Put, value: text(`value-${i}`.padEnd(60, '.')) }));
    const { vfs } = await buildTable(entries, { pageSizeBytes: 1024 });
    const cache = new BlockCache({ capacityBytes: 5000 });
    const reader = await openTable(vfs, cache);
    let spares = 0;
    const takeSpare = cache.takeSpare.bind(cache);
    cache.takeSpare = (length: number): DataPage | undefined => {
      const spare = takeSpare(length);
      if (spare !== undefined) spares++;
      return spare;
    };
    const iterator = reader.iterator();
    iterator.seekToFirst();
    const decode = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
    for (let i = 0; i < entries.length; i++) {
      const expected = entries[i] as (typeof entries)[number];
      expect(decode(iterator.entry.key)).toBe(decode(expected.key));
      const value = iterator.entry.value;
      for (let j = 0; j < 7; j++) {
        const probe = entries[(i * 131 + j * 337) % entries.length] as (typeof entries)[number];
        expect(decode(reader.getTransient(probe.key, seqOf(5))?.value ?? new Uint8Array(0))).toBe(decode(probe.value));
      }
      expect(decode(value)).toBe(decode(expected.value));
      iterator.next();
    }
    expect(iterator.valid).toBe(false);
    expect(spares).toBeGreaterThan(100);
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
