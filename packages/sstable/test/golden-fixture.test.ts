/**
 * Golden files: `test/fixtures/v*.sst` were written once by this file (only when missing)
 * and are committed. They must never be regenerated: a reader that stops reading them, or an
 * encoder that stops reproducing them byte for byte, has changed the wire format. (The lz4
 * file also pins lz4-napi's compressor output; if an upgrade changes it, readers must still
 * read the old file, and only the re-encoding check may be relaxed, with a note in FORMAT.md.)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { EntryKind, encodeExpiringValue, equalBytes } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { describe, expect, test } from 'vitest';
import type { TableBuildOptions } from '../src/index.js';
import { TABLE_PATH, buildTable, collectForward, openTable, patterned, plain, replaceFile, text } from './helpers.js';
import type { ModelEntry } from './helpers.js';

const put = (key: Uint8Array, seq: number, value: Uint8Array): ModelEntry => ({ key, seq, kind: EntryKind.Put, value });
const expiring = (key: Uint8Array, seq: number, expiresAt: number, value: Uint8Array): ModelEntry => ({ key, seq, kind: EntryKind.PutExpiring, value: encodeExpiringValue(expiresAt, value) });
const del = (key: Uint8Array, seq: number): ModelEntry => ({ key, seq, kind: EntryKind.Delete, value: new Uint8Array(0) });

interface Fixture {
  name: string;
  options: TableBuildOptions;
  entries: ModelEntry[];
  fileSizeBytes: number;
  dataPageCount: number;
  formatVersion: number;
}

const FIXTURES: Fixture[] = [
  {
    name: 'v1-tiny.sst',
    options: { pageSizeBytes: 1024, legacyPages: true },
    entries: [put(text('a'), 2, text('x')), del(text('a'), 1)],
    fileSizeBytes: 5120,
    dataPageCount: 1,
    formatVersion: 1,
  },
  {
    name: 'v1-variable.sst',
    options: { pageSizeBytes: 1024, inlineKeyBytes: 8, legacyPages: true },
    entries: [
      put(new Uint8Array(0), 40, text('empty key')),
      ...Array.from({ length: 30 }, (_, i) => put(text(`key-${String(i).padStart(2, '0')}`), 100 + i, text(`value ${i}`))),
      put(text('key-30 is longer than the prefix'), 7, patterned(1500, 3)),
      del(text('key-30 is longer than the prefix'), 6),
      put(text('key-30 is longer than the prefix'), 5, text('old')),
      put(new Uint8Array(1200).fill(0x7a), 9, text('a key bigger than a page')),
    ],
    fileSizeBytes: 12_288,
    dataPageCount: 2,
    formatVersion: 1,
  },
  {
    name: 'v1-fixed.sst',
    options: { pageSizeBytes: 1024, fixedWidth: { keySize: 8, valueSize: 4 } },
    entries: Array.from({ length: 100 }, (_, i) => {
      const key = new Uint8Array(8);
      new DataView(key.buffer).setUint32(4, i * 3, false);
      return i % 10 === 9 ? del(key, 500 - i) : put(key, 500 - i, patterned(4, i));
    }),
    fileSizeBytes: 6144,
    dataPageCount: 2,
    formatVersion: 1,
  },
  {
    name: 'v1-lz4.sst',
    options: { pageSizeBytes: 1024, compression: 'lz4', legacyPages: true },
    entries: Array.from({ length: 80 }, (_, i) => put(text(`user:${String(i).padStart(5, '0')}`), i + 1, text(`{"name":"user ${i % 7}","active":true}`))),
    fileSizeBytes: 6144,
    dataPageCount: 6,
    formatVersion: 1,
  },
  {
    name: 'v2-expiring.sst',
    options: { pageSizeBytes: 1024, legacyPages: true },
    entries: [
      expiring(text('session:1'), 30, 1_700_000_000_000, text('alice')),
      put(text('session:1'), 20, text('plain')),
      del(text('session:2'), 31),
      expiring(text('session:2'), 29, 0, new Uint8Array(0)),
      expiring(text('session:3'), 32, Number.MAX_SAFE_INTEGER, patterned(1500, 5)),
    ],
    fileSizeBytes: 7168,
    dataPageCount: 1,
    formatVersion: 2,
  },
  {
    // A compact page with every optional field (key length, key heap offset, flags, value length) and overflow chains.
    name: 'v3-compact.sst',
    options: { pageSizeBytes: 1024, inlineKeyBytes: 8 },
    entries: [
      ...Array.from({ length: 12 }, (_, i) => put(text(`user:${String(i * 7).padStart(4, '0')}${'x'.repeat(i % 3)}`), 2 ** 40 + i, text(`v${i}`))),
      del(text('user:0084'), 5),
      expiring(text('user:0091'), 9, 1_700_000_000_000, text('soon')),
      put(text('user:0098 has a suffix longer than eight bytes'), 3, new Uint8Array(0)),
      put(text('user:0105'), 1, patterned(1500, 9)),
      put(new Uint8Array(1200).fill(0x7a), 2, text('a key bigger than a page')),
    ],
    fileSizeBytes: 11_264,
    dataPageCount: 1,
    formatVersion: 3,
  },
  {
    // The benchmark's shape: 16-digit keys, one value length, plain puts: values inline, no flags.
    name: 'v3-uniform.sst',
    options: { pageSizeBytes: 1024 },
    entries: Array.from({ length: 20 }, (_, i) => put(text(String(2 * i + 1000).padStart(16, '0')), 500 + ((i * 37) % 20), patterned(100, i))),
    fileSizeBytes: 7168,
    dataPageCount: 3,
    formatVersion: 3,
  },
  {
    name: 'v3-lz4.sst',
    options: { pageSizeBytes: 1024, compression: 'lz4' },
    entries: Array.from({ length: 80 }, (_, i) => put(text(`user:${String(i).padStart(5, '0')}`), i + 1, text(`{"name":"user ${i % 7}","active":true}`))),
    fileSizeBytes: 5120,
    dataPageCount: 3,
    formatVersion: 3,
  },
];

async function encode(fixture: Fixture): Promise<Uint8Array> {
  const { vfs } = await buildTable(fixture.entries, fixture.options);
  return vfs.readFile(TABLE_PATH);
}

describe('golden fixtures', () => {
  for (const fixture of FIXTURES) {
    const url = new URL(`./fixtures/${fixture.name}`, import.meta.url);

    test(`${fixture.name} exists (written once if missing, never regenerated)`, async () => {
      if (!existsSync(url)) writeFileSync(url, await encode(fixture));
      expect(existsSync(url)).toBe(true);
    });

    test(`${fixture.name} reads back to exactly its entries and properties`, async () => {
      const bytes = new Uint8Array(readFileSync(url));
      expect(bytes.length).toBe(fixture.fileSizeBytes);
      const vfs = new MemoryVfs();
      await vfs.mkdir('/db', { recursive: true });
      const file = await vfs.open(TABLE_PATH, { create: true });
      await file.close();
      await replaceFile(vfs, bytes);
      const reader = await openTable(vfs);
      expect(reader.properties).toMatchObject({ entryCount: fixture.entries.length, dataPageCount: fixture.dataPageCount, formatVersion: fixture.formatVersion });
      expect(collectForward(reader.iterator()).map(plain)).toEqual(fixture.entries.map(plain));
      for (const entry of fixture.entries) expect(plain(reader.get(entry.key, entry.seq as never))).toEqual(plain(entry));
      await reader.verify();
      await reader.close();
    });

    test(`${fixture.name} is reproduced byte for byte by the current encoder`, async () => {
      expect(equalBytes(await encode(fixture), new Uint8Array(readFileSync(url)))).toBe(true);
    });
  }
});
