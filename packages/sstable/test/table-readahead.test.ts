import { EntryKind } from '@kv/base';
import type { MemoryVfs } from '@kv/vfs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BlockCache, TableReader } from '../src/index.js';
import type { Vfs, VfsFile } from '@kv/vfs';
import { fixedCaseArb, variableCaseArb } from './arbitraries.js';
import { FILE_NUMBER, TABLE_PATH, buildTable, copyEntry, flipByte, modelSeek, openTable, plain, replaceFile, seqOf, text } from './helpers.js';
import type { ModelEntry } from './helpers.js';

/** Window sizes: smaller than any page (a read per page), about a page, several pages, the whole file. */
const READAHEAD_SIZES = [1, 3000, 20_000, 1 << 20];

/** `count` distinct keys in order, one version each, 50-byte values: 1 KiB pages hold about a dozen. */
function plainEntries(count: number): ModelEntry[] {
  return Array.from({ length: count }, (_, i) => ({ key: text(`key${String(i).padStart(6, '0')}`), seq: i + 1, kind: EntryKind.Put, value: text('v'.repeat(50)) }));
}

/** `vfs` with every file's `readSync` counted in `counter.reads`. */
function countingReads(vfs: MemoryVfs, counter: { reads: number }): Vfs {
  const countFile = (file: VfsFile): VfsFile =>
    new Proxy(file, {
      get(target, property) {
        const member: unknown = Reflect.get(target, property, target);
        if (property === 'readSync') {
          return (options: Parameters<VfsFile['readSync']>[0]) => {
            counter.reads++;
            return target.readSync(options);
          };
        }
        return typeof member === 'function' ? member.bind(target) : member;
      },
    });
  return new Proxy(vfs, {
    get(target, property) {
      if (property === 'open') return async (...args: Parameters<Vfs['open']>) => countFile(await target.open(...args));
      const member: unknown = Reflect.get(target, property, target);
      return typeof member === 'function' ? member.bind(target) : member;
    },
  });
}

type Step = { op: 'next' } | { op: 'prev' } | { op: 'seek'; at: number } | { op: 'first' };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 8, arbitrary: fc.constant({ op: 'next' as const }) },
  { weight: 2, arbitrary: fc.constant({ op: 'prev' as const }) },
  { weight: 1, arbitrary: fc.constant({ op: 'first' as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('seek' as const), at: fc.nat() }) },
);

describe('readahead (TableIteratorOptions.readaheadBytes)', () => {
  test('a scan with readahead reads back exactly what one without it reads, through any mix of steps', async () => {
    // Goal: reading several pages at once changes how pages are read, never what an iterator
    // sees, for any page size, compression, overflow chains or window size, whether the
    // iterator only steps forward (a compaction) or also seeks and steps back (which read page
    // by page), and whether it reuses its entry (then the window reuses its array and page).
    // Strategy: random variable- and fixed-width tables opened without a cache; a full forward
    // scan per window size, then a random walk of next, prev, seekToFirst and seeks to
    // present entries, on an iterator with readahead and on the model side by side.
    // Invariants: the scan equals the model; after every step validity and the entry agree.
    await fc.assert(
      fc.asyncProperty(fc.oneof(variableCaseArb, fixedCaseArb), fc.constantFrom(...READAHEAD_SIZES), fc.boolean(), fc.array(stepArb, { maxLength: 80 }), async ({ entries, options }, readaheadBytes, reuseEntry, steps) => {
        const { vfs } = await buildTable(entries, options);
        const reader = await openTable(vfs);
        try {
          const scan: ModelEntry[] = [];
          const it = reader.iterator({ reuseEntry, readaheadBytes });
          for (it.seekToFirst(); it.valid; it.next()) scan.push(copyEntry(it.entry));
          expect(scan.map(plain)).toEqual(entries.map(plain));
          let position = -1;
          for (const step of steps) {
            if ((step.op === 'next' || step.op === 'prev') && (position < 0 || position >= entries.length)) continue;
            if (step.op === 'next') {
              it.next();
              position++;
            } else if (step.op === 'prev') {
              it.prev();
              position--;
            } else if (step.op === 'first') {
              it.seekToFirst();
              position = 0;
            } else {
              const target = entries[step.at % Math.max(1, entries.length)];
              if (target === undefined) continue;
              it.seek(target.key, seqOf(target.seq));
              position = modelSeek(entries, target.key, target.seq);
            }
            const expected = entries[position];
            expect(it.valid).toBe(expected !== undefined);
            if (expected !== undefined) expect(plain(it.entry)).toEqual(plain(expected));
          }
        } finally {
          await reader.close();
        }
      }),
      { numRuns: 80, seed: 0x4eada },
    );
  });

  test('without reuseEntry, entries read earlier stay valid after later windows are read', async () => {
    // A consumer that keeps entries (views into their pages) across steps: windows must not
    // share an array, nor pages an object, unless the iterator reuses its entry.
    const entries = plainEntries(3000);
    const { vfs } = await buildTable(entries, { pageSizeBytes: 1024 });
    const reader = await openTable(vfs);
    try {
      for (const readaheadBytes of [4096, 20_000]) {
        const kept = [];
        const it = reader.iterator({ readaheadBytes });
        for (it.seekToFirst(); it.valid; it.next()) kept.push(it.entry);
        expect(kept.map(plain)).toEqual(entries.map(plain));
      }
    } finally {
      await reader.close();
    }
  });

  test('a damaged page read through a window is CORRUPTION naming the file and page', async () => {
    const entries = plainEntries(400);
    const { vfs } = await buildTable(entries, { pageSizeBytes: 1024 });
    const bytes = await vfs.readFile(TABLE_PATH);
    // A byte inside the third data page: the window that holds it also holds good pages before it.
    await replaceFile(vfs, flipByte(bytes, 2 * 1024 + 100, 0x01));
    const reader = await openTable(vfs);
    try {
      const it = reader.iterator({ reuseEntry: true, readaheadBytes: 64 * 1024 });
      let read = 0;
      expect(() => {
        for (it.seekToFirst(); it.valid; it.next()) read++;
      }).toThrow(expect.objectContaining({ code: 'CORRUPTION', message: expect.stringContaining(`${TABLE_PATH} data page 2`) }));
      // The pages before the damaged one were read whole.
      expect(read).toBeGreaterThan(0);
    } finally {
      await reader.close();
    }
  });

  test('reads each window once: one read serves many pages, and a page larger than the window is read whole', async () => {
    const entries = plainEntries(2000);
    const { vfs, properties } = await buildTable(entries, { pageSizeBytes: 1024 });
    const countReads = async (readaheadBytes: number | undefined): Promise<number> => {
      const counter = { reads: 0 };
      const reader = await TableReader.open(countingReads(vfs, counter), TABLE_PATH, { fileNumber: FILE_NUMBER });
      try {
        const it = reader.iterator(readaheadBytes === undefined ? { reuseEntry: true } : { reuseEntry: true, readaheadBytes });
        counter.reads = 0;
        let count = 0;
        for (it.seekToFirst(); it.valid; it.next()) count++;
        expect(count).toBe(entries.length);
      } finally {
        await reader.close();
      }
      return counter.reads;
    };
    expect(await countReads(undefined)).toBe(properties.dataPageCount);
    expect(await countReads(1)).toBe(properties.dataPageCount);
    expect(await countReads(16 * 1024)).toBe(Math.ceil(properties.dataPageCount / 16));
  });

  test('through a block cache, readahead changes nothing: pages are cached and pinned as without it', async () => {
    const entries = plainEntries(500);
    const { vfs, properties } = await buildTable(entries, { pageSizeBytes: 1024 });
    const cache = new BlockCache({ capacityBytes: 1 << 20 });
    const reader = await openTable(vfs, cache);
    try {
      const it = reader.iterator({ readaheadBytes: 64 * 1024 });
      const scanned: ModelEntry[] = [];
      for (it.seekToFirst(); it.valid; it.next()) scanned.push(copyEntry(it.entry));
      expect(scanned.map(plain)).toEqual(entries.map(plain));
      expect(cache.stats.misses).toBe(properties.dataPageCount);
    } finally {
      await reader.close();
    }
  });
});
