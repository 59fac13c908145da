import { EntryKind } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BlockCache, pagesAwaitingRelease } from '../src/index.js';
import { fixedCaseArb, uniformCaseArb, variableCaseArb } from './arbitraries.js';
import type { TableCase } from './arbitraries.js';
import {
  FILE_NUMBER,
  buildTable,
  collectBackward,
  collectForward,
  modelGet,
  modelSeek,
  modelSeekForPrev,
  openTable,
  plain,
  seqOf,
  text,
} from './helpers.js';
import type { ModelEntry } from './helpers.js';

/** Probe targets: every model key plus near misses, each with a few seqs. */
function probes(entries: readonly ModelEntry[], extra: readonly Uint8Array[]): { key: Uint8Array; seq: number }[] {
  const keys = [...entries.map((e) => e.key), ...extra];
  const seqs = [0, 1, 5, 500, 2 ** 32, Number.MAX_SAFE_INTEGER];
  const out: { key: Uint8Array; seq: number }[] = [];
  keys.forEach((key, i) => {
    out.push({ key, seq: seqs[i % seqs.length] ?? 0 });
    out.push({ key, seq: entries[i]?.seq ?? 7 });
  });
  return out;
}

async function checkCase({ entries, options }: TableCase, cacheBytes: number, extraKeys: readonly Uint8Array[]): Promise<void> {
  const { vfs, properties } = await buildTable(entries, options);
  expect(properties.entryCount).toBe(entries.length);
  const cache = new BlockCache({ capacityBytes: cacheBytes });
  const reader = await openTable(vfs, cache);
  try {
    expect(reader.properties).toEqual(properties);
    // Every check runs with fresh entries and with one entry rewritten per step (compaction's scan).
    for (const iteratorOptions of [{}, { reuseEntry: true }]) {
      expect(collectForward(reader.iterator(iteratorOptions)).map(plain)).toEqual(entries.map(plain));
      expect(collectBackward(reader.iterator(iteratorOptions)).map(plain)).toEqual(entries.map(plain).reverse());
      const it = reader.iterator(iteratorOptions);
      for (const { key, seq } of probes(entries, extraKeys)) {
        expect(plain(reader.get(key, seqOf(seq)))).toEqual(plain(modelGet(entries, key, seq)));
        it.seek(key, seqOf(seq));
        const at = modelSeek(entries, key, seq);
        expect(it.valid ? plain(it.entry) : undefined).toEqual(plain(entries[at]));
        if (it.valid) {
          it.next();
          expect(it.valid ? plain(it.entry) : undefined).toEqual(plain(entries[at + 1]));
          it.seek(key, seqOf(seq));
          it.prev();
          expect(it.valid ? plain(it.entry) : undefined).toEqual(plain(entries[at - 1]));
        }
        it.seekForPrev(key, seqOf(seq));
        const before = modelSeekForPrev(entries, key, seq);
        expect(it.valid ? plain(it.entry) : undefined).toEqual(plain(entries[before]));
        if (it.valid) {
          it.prev();
          expect(it.valid ? plain(it.entry) : undefined).toEqual(plain(entries[before - 1]));
        }
      }
    }
    await expect(reader.verify()).resolves.toMatchObject({ pagesChecked: expect.any(Number) });
  } finally {
    await reader.close();
  }
}

describe('round trip against a naive model', () => {
  test('variable-width tables read back exactly (get, both iterations, seeks)', async () => {
    // Goal: any sorted set of internal entries survives write + read in variable-width mode.
    // Strategy: random keys (empty, short from a 4-letter alphabet so versions pile up, long,
    // longer than a page), many versions, deletes, empty/large values; every page size
    // 1 KiB..64 KiB, inline prefix 0..64, none and lz4; cache on or off.
    // Invariants: iteration both ways equals the model; get(key, seqMax) is the newest version
    // <= seqMax or undefined; seek/seekForPrev land where the model says and step correctly.
    await fc.assert(
      fc.asyncProperty(variableCaseArb, fc.constantFrom(0, 1 << 20), async (tableCase, cacheBytes) => {
        await checkCase(tableCase, cacheBytes, [text('absent'), new Uint8Array([3, 3, 3, 3]), new Uint8Array(0)]);
      }),
      { numRuns: 60, seed: 0x5eed },
    );
  });

  test('keys that all start with one long head read back exactly, and targets off the head land before or after all', async () => {
    // Goal: the page index compares fences after the head they all share; a target that
    // leaves the head early must still sort before or after every fence.
    // Strategy: variable-width cases with one random head (digits and zeros, as zero-padded
    // numbers have) put in front of every key; probes add the head cut short, the head with
    // its last byte one lower and one higher, the head followed by 0xff, and the empty key.
    // Invariants: as in the variable-width round trip.
    const headArb = fc.uint8Array({ minLength: 1, maxLength: 12 }).map((b) => b.map((x) => [0x30, 0x31, 0x39, 0][x % 4] ?? 0x30));
    await fc.assert(
      fc.asyncProperty(variableCaseArb, headArb, fc.constantFrom(0, 1 << 20), async (tableCase, head, cacheBytes) => {
        const withHead = (key: Uint8Array): Uint8Array => Uint8Array.from([...head, ...key]);
        const entries = tableCase.entries.map((entry) => ({ ...entry, key: withHead(entry.key) }));
        const last = head[head.length - 1] as number;
        const lower = Uint8Array.from([...head.subarray(0, -1), last - 1]);
        const higher = Uint8Array.from([...head.subarray(0, -1), last + 1]);
        const extra = [head.subarray(0, -1), lower, higher, Uint8Array.from([...head, 0xff]), new Uint8Array(0)];
        await checkCase({ entries, options: tableCase.options }, cacheBytes, extra);
      }),
      { numRuns: 40, seed: 0x4ead },
    );
  });

  test('compact pages of zero-padded keys and one value length read back exactly', async () => {
    // Goal: the page shapes compact pages choose for regular data (long shared prefixes, no key
    // length field, inline values, no flags byte, seq fields of 0..6 bytes) and the widening a
    // few odd records force (a delete, another key length, a long or overflow value) read back.
    // Strategy: up to 400 distinct 16-digit keys, values of one length (0..1000 bytes), seqs
    // from a span of 1 to 2^40, deletes every 3rd/50th key or none, plus up to 3 odd records;
    // 1 KiB and 4 KiB pages, none and lz4; probes include neighbours of present keys.
    // Invariants: as in the variable-width round trip.
    const neighbours = ['0000000000000000', '0000000001000001', '9999999999999999', '000000000000000', '00000000000000000'].map(text);
    await fc.assert(
      fc.asyncProperty(uniformCaseArb, fc.constantFrom(0, 1 << 20), async (tableCase, cacheBytes) => {
        await checkCase(tableCase, cacheBytes, neighbours);
      }),
      { numRuns: 60, seed: 0xc0de },
    );
  });

  test('fixed-width tables read back exactly (get, both iterations, seeks)', async () => {
    // Goal: the same as above for strict fixed-width files.
    // Strategy: key widths 0..16 (40 distinct keys, so many versions each), value widths
    // 0..900, all page sizes, none and lz4. Deletes are added with an empty value.
    // Invariants: as above; a delete reads back with an empty value.
    await fc.assert(
      fc.asyncProperty(fixedCaseArb, fc.constantFrom(0, 1 << 20), async (tableCase, cacheBytes) => {
        await checkCase(tableCase, cacheBytes, []);
      }),
      { numRuns: 60, seed: 0xf1ed },
    );
  });

  test('a table whose metadata is larger than the first read of its tail opens and reads back exactly', async () => {
    // Goal: opening reads the file's tail once (a 32nd of the file, at least 64 KiB) and reads
    // the metadata region separately when the tail does not hold it. Strategy: 400-byte keys,
    // so each 4 KiB page's index entry (24 bytes + its fence key) makes the index about a
    // tenth of the file: far more than the tail. Invariants: every entry reads back, and
    // `verify` checks every page.
    const entries: ModelEntry[] = Array.from({ length: 3000 }, (_, i) => ({
      key: Uint8Array.from({ length: 400 }, (_unused, j) => (j < 4 ? (i >>> (8 * (3 - j))) & 0xff : (i * 7 + j) & 0xff)),
      seq: i + 1,
      kind: EntryKind.Put,
      value: Uint8Array.of(i & 0xff),
    }));
    const { vfs, properties } = await buildTable(entries);
    const indexBytes = properties.dataPageCount * (24 + 400);
    expect(indexBytes).toBeGreaterThan(Math.max(64 * 1024, properties.fileSizeBytes / 32));
    const reader = await openTable(vfs);
    expect(collectForward(reader.iterator()).map(plain)).toEqual(entries.map(plain));
    for (const entry of entries.filter((_unused, i) => i % 97 === 0)) expect(plain(reader.get(entry.key, seqOf(entry.seq)))).toEqual(plain(entry));
    await expect(reader.verify()).resolves.toEqual({ pagesChecked: expect.any(Number) });
    await reader.close();
  });

  test('an empty table opens, iterates to nothing and finds nothing', async () => {
    const { vfs, properties } = await buildTable([]);
    expect(properties).toMatchObject({ entryCount: 0, dataPageCount: 0, seqMin: 0, seqMax: 0, smallestKey: new Uint8Array(0) });
    const reader = await openTable(vfs);
    expect(collectForward(reader.iterator())).toEqual([]);
    const it = reader.iterator();
    it.seek(text('a'));
    expect(it.valid).toBe(false);
    it.seekForPrev(text('a'));
    expect(it.valid).toBe(false);
    expect(reader.get(text('a'), seqOf(9))).toBeUndefined();
    await expect(reader.verify()).resolves.toEqual({ pagesChecked: 3 });
    await reader.close();
  });

  test('a reusing iterator rewrites one entry object, and a fresh one hands out owned keys', async () => {
    // Goal: `reuseEntry` allocates no entry per step, and the default iterator's assembled keys stay owned.
    // Strategy: zero-padded keys (one shared prefix per page) of two lengths, walked both ways.
    // Invariants: one object for every step when reusing, with keyOwned false; distinct objects
    // with keyOwned true otherwise; the same entries either way.
    const entries: ModelEntry[] = Array.from({ length: 300 }, (_, i) => ({ key: text(String(i).padStart(i % 2 === 0 ? 12 : 14, '0')), seq: 7, kind: EntryKind.Put, value: text(`v${i}`) }));
    entries.sort((a, b) => Buffer.compare(a.key, b.key));
    const { vfs } = await buildTable(entries, { pageSizeBytes: 1024 });
    const reader = await openTable(vfs);
    const seen = new Set<object>();
    const it = reader.iterator({ reuseEntry: true });
    for (it.seekToFirst(); it.valid; it.next()) {
      seen.add(it.entry);
      expect(it.entry.keyOwned).toBe(false);
    }
    expect(seen.size).toBe(1);
    const fresh = reader.iterator();
    fresh.seekToFirst();
    const first = fresh.entry;
    fresh.next();
    expect(fresh.entry).not.toBe(first);
    expect(first.keyOwned).toBe(true);
    expect(collectBackward(reader.iterator({ reuseEntry: true })).map(plain)).toEqual(entries.map(plain).reverse());
    await reader.close();
  });

  test('an iterator unpins every page it read once released, and one without a cache tracks none', async () => {
    // Goal: pins balance (a page left pinned is never recycled; one unpinned early could be).
    // Strategy: a cache that holds every page, a forward walk releasing views after each step,
    // seeks back and forth (a page left and loaded again), a reverse walk, then release();
    // the same walks over the file opened without a cache and never released.
    // Invariants: afterwards no page of the file is pinned and no page awaits release.
    const entries: ModelEntry[] = Array.from({ length: 400 }, (_, i) => ({ key: text(`k${String(i).padStart(4, '0')}`), seq: 3, kind: EntryKind.Put, value: text(`value ${i}`.padEnd(40, '.')) }));
    const { vfs } = await buildTable(entries, { pageSizeBytes: 1024 });
    const cache = new BlockCache({ capacityBytes: 1 << 20 });
    const reader = await openTable(vfs, cache);
    // A count for the whole thread: earlier tests' iterators that never release stay in it.
    const awaitingBefore = pagesAwaitingRelease();
    const it = reader.iterator();
    for (it.seekToFirst(); it.valid; it.next()) it.releaseViews?.();
    it.seek(text('k0300'));
    it.seek(text('k0010'));
    it.seek(text('k0011'));
    for (it.seekToLast(); it.valid; it.prev()) continue;
    it.seek(text('k0200'));
    expect(pagesAwaitingRelease()).toBeGreaterThan(awaitingBefore);
    it.release?.();
    expect(it.valid).toBe(false);
    expect(pagesAwaitingRelease()).toBe(awaitingBefore);
    const pages = cache.stats.entries;
    expect(pages).toBeGreaterThan(10);
    for (let i = 0; i < pages; i++) expect(cache.lookup(FILE_NUMBER, i, 'transient')?.pins).toBe(0);
    await reader.close();

    const uncached = await openTable(vfs);
    const plainIterator = uncached.iterator();
    for (plainIterator.seekToFirst(); plainIterator.valid; plainIterator.next()) continue;
    for (plainIterator.seekToLast(); plainIterator.valid; plainIterator.prev()) continue;
    expect(pagesAwaitingRelease()).toBe(awaitingBefore);
    await uncached.close();
  });

  test('versions of one key spanning several pages resolve by seqMax', async () => {
    const entries: ModelEntry[] = [];
    for (let seq = 400; seq >= 1; seq--) entries.push({ key: text('k'), seq, kind: seq % 7 === 0 ? EntryKind.Delete : EntryKind.Put, value: seq % 7 === 0 ? new Uint8Array(0) : text(`v${seq}`.padEnd(40, '.')) });
    const { vfs, properties } = await buildTable(entries, { pageSizeBytes: 1024 });
    expect(properties.dataPageCount).toBeGreaterThan(10);
    const reader = await openTable(vfs);
    for (let seqMax = 0; seqMax <= 401; seqMax++) expect(plain(reader.get(text('k'), seqOf(seqMax)))).toEqual(plain(modelGet(entries, text('k'), seqMax)));
    await reader.close();
  });
});
