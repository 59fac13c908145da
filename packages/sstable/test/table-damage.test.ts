import { EntryKind, isKvError } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BlockCache, FORMAT_VERSION_CURRENT } from '../src/index.js';
import type { TableBuildOptions } from '../src/index.js';
import {
  TABLE_PATH,
  buildTable,
  collectForward,
  fixChecksum,
  flipByte,
  modelGet,
  openTable,
  patterned,
  plain,
  replaceFile,
  seqOf,
  text,
  truncateTo,
} from './helpers.js';
import type { ModelEntry } from './helpers.js';

/** A small table with every structure: many pages, versions, a delete, long keys, overflow values. */
function damageEntries(): ModelEntry[] {
  const entries: ModelEntry[] = [];
  for (let i = 0; i < 60; i++) {
    const key = text(`key-${String(i).padStart(3, '0')}`);
    entries.push({ key, seq: 100 + i, kind: EntryKind.Put, value: patterned(i * 7, i) });
    if (i % 10 === 0) entries.push({ key, seq: 50, kind: EntryKind.Delete, value: new Uint8Array(0) });
  }
  entries.push({ key: text('long-value'), seq: 3, kind: EntryKind.Put, value: patterned(2500, 1) });
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)) || b.seq - a.seq);
  entries.push({ key: new Uint8Array(1500).fill(0x7e), seq: 4, kind: EntryKind.Put, value: text('v') });
  return entries;
}

type Outcome = 'right' | 'corruption';

/** Runs `read`; a CorruptionError is an allowed outcome, any other error fails the test. */
function expectRightOrCorruption(read: () => void): Outcome {
  try {
    read();
    return 'right';
  } catch (error) {
    if (isKvError(error, 'CORRUPTION')) return 'corruption';
    throw error;
  }
}

async function readEverything(bytes: Uint8Array, entries: readonly ModelEntry[], withCache: boolean): Promise<void> {
  const { vfs } = await buildTable([]);
  await replaceFile(vfs, bytes);
  let reader;
  try {
    reader = await openTable(vfs, withCache ? new BlockCache({ capacityBytes: 1 << 20 }) : undefined);
  } catch (error) {
    expect(isKvError(error, 'CORRUPTION')).toBe(true);
    return;
  }
  for (const entry of entries) {
    expectRightOrCorruption(() => {
      expect(plain(reader.get(entry.key, seqOf(entry.seq)))).toEqual(plain(modelGet(entries, entry.key, entry.seq)));
    });
  }
  expectRightOrCorruption(() => expect(collectForward(reader.iterator()).map(plain)).toEqual(entries.map(plain)));
  try {
    await reader.verify();
  } catch (error) {
    expect(isKvError(error, 'CORRUPTION')).toBe(true);
  }
  await reader.close();
}

async function tableBytes(options: TableBuildOptions): Promise<{ bytes: Uint8Array; entries: ModelEntry[] }> {
  const entries = damageEntries();
  const { vfs } = await buildTable(entries, options);
  return { bytes: await vfs.readFile(TABLE_PATH), entries };
}

describe('damaged files', () => {
  const cases: { name: string; build: () => Promise<{ bytes: Uint8Array; entries: ModelEntry[] }> }[] = [
    { name: 'compact pages', build: () => tableBytes({ pageSizeBytes: 1024 }) },
    { name: 'compact pages, lz4', build: () => tableBytes({ pageSizeBytes: 1024, compression: 'lz4' }) },
    { name: 'compact pages, inline values', build: uniformTableBytes },
    { name: 'version 1 pages', build: () => tableBytes({ pageSizeBytes: 1024, legacyPages: true }) },
    { name: 'fixed width', build: fixedTableBytes },
  ];
  for (const { name, build } of cases) {
    test(`any single flipped byte gives CORRUPTION or the right answer (${name})`, async () => {
      // Goal: bit rot anywhere in a page file never yields a wrong value or another error type.
      // Strategy: one file with data, overflow, index, bloom, properties and footer pages; flip
      // one byte (random offset, random non-zero mask), then open, get every key, iterate and
      // verify, with and without the block cache.
      // Invariants: each step either returns exactly the model's answer or throws CORRUPTION.
      const built = await build();
      await fc.assert(
        fc.asyncProperty(fc.nat(built.bytes.length - 1), fc.integer({ min: 1, max: 255 }), fc.boolean(), async (offset, mask, withCache) => {
          await readEverything(flipByte(built.bytes, offset, mask), built.entries, withCache);
        }),
        { numRuns: 250, seed: 0xbad },
      );
    });
  }

  test('every byte of the footer page is checked; a bad data page names the file and page', async () => {
    const { bytes, entries } = await tableBytes({ pageSizeBytes: 1024 });
    const detected: Outcome[] = [];
    for (const offset of [...Array(1024).keys()].map((i) => bytes.length - 1024 + i)) {
      const damaged = flipByte(bytes, offset, 0x01);
      const { vfs } = await buildTable([]);
      await replaceFile(vfs, damaged);
      detected.push(await openTable(vfs).then(() => 'right' as const, (error: unknown) => (isKvError(error, 'CORRUPTION') ? 'corruption' : 'right')));
    }
    expect(detected.every((outcome) => outcome === 'corruption')).toBe(true);
    const reader = await (async () => {
      const { vfs } = await buildTable([]);
      await replaceFile(vfs, flipByte(bytes, 100, 0x01));
      return openTable(vfs);
    })();
    expect(() => reader.get(entries[0]?.key ?? new Uint8Array(0), seqOf(1000))).toThrow(/data page 0: page checksum mismatch/);
    await reader.close();
  });

  test('a truncated file is CORRUPTION at open', async () => {
    const { bytes } = await tableBytes({ pageSizeBytes: 1024 });
    for (const length of [0, 1, 15, 16, 1023, 1024, bytes.length - 1024, bytes.length - 1, bytes.length - 512]) {
      const { vfs } = await buildTable([]);
      await replaceFile(vfs, truncateTo(bytes, length));
      await expect(openTable(vfs)).rejects.toMatchObject({ code: 'CORRUPTION' });
    }
  });

  test('a size other than expectedSizeBytes is CORRUPTION at open', async () => {
    const { vfs, properties } = await buildTable(damageEntries());
    const { TableReader } = await import('../src/index.js');
    await expect(TableReader.open(vfs, TABLE_PATH, { fileNumber: 1, expectedSizeBytes: properties.fileSizeBytes + 1 })).rejects.toMatchObject({ code: 'CORRUPTION' });
    const reader = await TableReader.open(vfs, TABLE_PATH, { fileNumber: 1, expectedSizeBytes: properties.fileSizeBytes });
    await reader.close();
  });

  test('a wrong magic number is CORRUPTION', async () => {
    const { bytes } = await tableBytes({ pageSizeBytes: 1024 });
    const damaged = flipByte(bytes, bytes.length - 8, 0x20);
    fixChecksum(damaged, bytes.length - 1024, 1024);
    const { vfs } = await buildTable([]);
    await replaceFile(vfs, damaged);
    await expect(openTable(vfs)).rejects.toThrow(/bad magic number/);
  });

  test('a future format version is NOT_SUPPORTED; a valid checksum is required first', async () => {
    const { bytes } = await tableBytes({ pageSizeBytes: 1024 });
    const future = bytes.slice();
    new DataView(future.buffer).setUint16(future.length - 12, FORMAT_VERSION_CURRENT + 1, true);
    const { vfs } = await buildTable([]);
    await replaceFile(vfs, future);
    await expect(openTable(vfs)).rejects.toMatchObject({ code: 'CORRUPTION' });
    fixChecksum(future, future.length - 1024, 1024);
    await replaceFile(vfs, future);
    await expect(openTable(vfs)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    new DataView(future.buffer).setUint16(future.length - 12, 0, true);
    fixChecksum(future, future.length - 1024, 1024);
    await replaceFile(vfs, future);
    await expect(openTable(vfs)).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
  });
});

async function fixedTableBytes(): Promise<{ bytes: Uint8Array; entries: ModelEntry[] }> {
  const entries: ModelEntry[] = [];
  for (let i = 0; i < 150; i++) {
    const key = patterned(7, i + 1);
    entries.push({ key, seq: 9, kind: i % 9 === 0 ? EntryKind.Delete : EntryKind.Put, value: i % 9 === 0 ? new Uint8Array(0) : patterned(5, i) });
  }
  entries.sort((a, b) => Buffer.compare(Buffer.from(a.key), Buffer.from(b.key)));
  const { vfs } = await buildTable(entries, { pageSizeBytes: 1024, fixedWidth: { keySize: 7, valueSize: 5 } });
  return { bytes: await vfs.readFile(TABLE_PATH), entries };
}

/** Regular data: 16-digit keys and 100-byte values, so pages share prefixes and keep values inline. */
async function uniformTableBytes(): Promise<{ bytes: Uint8Array; entries: ModelEntry[] }> {
  const entries: ModelEntry[] = [];
  for (let i = 0; i < 60; i++) entries.push({ key: text(String(1000 + 3 * i).padStart(16, '0')), seq: 700 - i, kind: EntryKind.Put, value: patterned(100, i) });
  const { vfs } = await buildTable(entries, { pageSizeBytes: 1024 });
  return { bytes: await vfs.readFile(TABLE_PATH), entries };
}
