import { AssertionError, EntryKind } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { describe, expect, test } from 'vitest';
import { TableBuilder } from '../src/index.js';
import { TABLE_PATH, buildTable, collectForward, openTable, patterned, plain, seqOf, text } from './helpers.js';

async function newBuilder(options = {}): Promise<{ vfs: MemoryVfs; builder: TableBuilder }> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db', { recursive: true });
  return { vfs, builder: await TableBuilder.create(vfs, TABLE_PATH, options) };
}

describe('TableBuilder', () => {
  test('an add out of internal order is an AssertionError', async () => {
    const { builder } = await newBuilder();
    builder.add(text('b'), seqOf(5), EntryKind.Put, text('1'));
    expect(() => builder.add(text('a'), seqOf(9), EntryKind.Put, text('2'))).toThrow(AssertionError);
    expect(() => builder.add(text('b'), seqOf(5), EntryKind.Put, text('2'))).toThrow(AssertionError);
    expect(() => builder.add(text('b'), seqOf(6), EntryKind.Put, text('2'))).toThrow(AssertionError);
    builder.add(text('b'), seqOf(4), EntryKind.Put, text('2'));
    builder.add(text('ba'), seqOf(9), EntryKind.Put, text('3'));
    await builder.abandon();
  });

  test('create fails when the file exists; bad options are INVALID_ARGUMENT', async () => {
    const { vfs, builder } = await newBuilder();
    await expect(TableBuilder.create(vfs, TABLE_PATH)).rejects.toMatchObject({ code: 'IO_ERROR', osCode: 'EEXIST' });
    await builder.abandon();
    for (const options of [{ pageSizeBytes: 3000 }, { pageSizeBytes: 512 }, { pageSizeBytes: 131_072 }, { inlineKeyBytes: 65 }, { bloomBitsPerKey: -1 }]) {
      await expect(TableBuilder.create(vfs, '/db/other.sst', options)).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(TableBuilder.create(vfs, '/db/other.sst', { compression: 'zstd' as never })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  test('keys over 65,535 bytes and bad seqs are INVALID_ARGUMENT', async () => {
    const { builder } = await newBuilder();
    expect(() => builder.add(new Uint8Array(65_536), seqOf(1), EntryKind.Put, text('v'))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => builder.add(text('k'), seqOf(-1), EntryKind.Put, text('v'))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    expect(() => builder.add(text('k'), seqOf(2 ** 53), EntryKind.Put, text('v'))).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    builder.add(new Uint8Array(65_535).fill(1), seqOf(Number.MAX_SAFE_INTEGER), EntryKind.Put, text('v'));
    await builder.abandon();
  });

  test('abandon closes and removes the partial file', async () => {
    const { vfs, builder } = await newBuilder();
    for (let i = 0; i < 500; i++) builder.add(text(`k${String(i).padStart(4, '0')}`), seqOf(1), EntryKind.Put, patterned(100, i));
    await builder.writePending();
    expect(await vfs.stat(TABLE_PATH)).toBeDefined();
    await builder.abandon();
    expect(await vfs.stat(TABLE_PATH)).toBeUndefined();
    await builder.abandon();
  });

  test('writePending writes full pages so pendingBytes stays bounded', async () => {
    const { vfs, builder } = await newBuilder({ pageSizeBytes: 4096 });
    let maxPending = 0;
    const entries = [];
    for (let i = 0; i < 20_000; i++) {
      const entry = { key: text(`key${String(i).padStart(8, '0')}`), seq: 1, kind: EntryKind.Put, value: patterned(100, i) };
      entries.push(entry);
      builder.add(entry.key, seqOf(entry.seq), entry.kind, entry.value);
      maxPending = Math.max(maxPending, builder.pendingBytes);
      if (builder.pendingBytes >= 256 * 1024) await builder.writePending();
      if (i === 100) expect(builder.pendingBytes % 4096).toBe(0);
    }
    expect(maxPending).toBeLessThan(256 * 1024 + 4096);
    const properties = await builder.finish();
    expect(properties.entryCount).toBe(20_000);
    expect((await vfs.stat(TABLE_PATH))?.sizeBytes).toBe(properties.fileSizeBytes);
    const reader = await openTable(vfs);
    expect(plain(reader.get(text('key00012345'), seqOf(1)))).toEqual(plain(entries[12_345]));
    await reader.close();
  });

  test('writePendingBehind keeps one write running behind the encoding, and reports a failed write', async () => {
    // Writes in order and whole: the file reads back exactly, with at most one write awaited per slice.
    const { vfs, builder } = await newBuilder({ pageSizeBytes: 4096 });
    const entries = Array.from({ length: 12_000 }, (_, i) => ({ key: text(`key${String(i).padStart(8, '0')}`), seq: 1, kind: EntryKind.Put, value: patterned(100, i) }));
    let returned = 0;
    for (const entry of entries) {
      builder.add(entry.key, seqOf(entry.seq), entry.kind, entry.value);
      if (builder.pendingBytes >= 64 * 1024) {
        const previous = builder.writePendingBehind();
        if (previous !== undefined) {
          returned++;
          await previous;
        }
      }
    }
    expect(returned).toBeGreaterThan(0);
    await builder.finish();
    const reader = await openTable(vfs);
    expect(collectForward(reader.iterator()).map(plain)).toEqual(entries.map(plain));
    await reader.close();

    // A failed write rejects the next call's promise, and finish too.
    for (const failAt of ['next call', 'finish'] as const) {
      const failing = await newBuilder({ pageSizeBytes: 4096 });
      for (let i = 0; i < 3000; i++) failing.builder.add(text(`key${String(i).padStart(8, '0')}`), seqOf(1), EntryKind.Put, patterned(100, i));
      failing.vfs.failOperation({ kind: 'write', nth: 1, error: 'ENOSPC' });
      expect(failing.builder.writePendingBehind()).toBeUndefined();
      for (let i = 3000; i < 3100; i++) failing.builder.add(text(`key${String(i).padStart(8, '0')}`), seqOf(1), EntryKind.Put, patterned(100, i));
      if (failAt === 'next call') await expect(failing.builder.writePendingBehind()).rejects.toMatchObject({ code: 'NO_SPACE' });
      await expect(failing.builder.finish()).rejects.toMatchObject({ code: 'NO_SPACE' });
      await failing.builder.abandon();
      expect(await failing.vfs.stat(TABLE_PATH)).toBeUndefined();
    }
  });

  test('finish fdatasyncs: the content survives a crash once the caller synced the directory', async () => {
    const { vfs, builder } = await newBuilder();
    builder.add(text('k'), seqOf(1), EntryKind.Put, text('v'));
    const properties = await builder.finish();
    await vfs.syncDir('/');
    await vfs.syncDir('/db');
    const image = vfs.crashImage();
    expect((await image.stat(TABLE_PATH))?.sizeBytes).toBe(properties.fileSizeBytes);
    expect(plain((await openTable(image)).get(text('k'), seqOf(1)))).toEqual({ key: [107], seq: 1, kind: 1, value: [118] });
  });

  test('a delete given a value, even one bigger than a page, is stored without it and reads back empty', async () => {
    for (const legacyPages of [false, true]) {
      const entries = [
        { key: text('a'), seq: 2, kind: EntryKind.Delete, value: patterned(2000, 1) },
        { key: text('a'), seq: 1, kind: EntryKind.Put, value: text('old') },
        { key: text('b'), seq: 3, kind: EntryKind.Delete, value: text('ignored') },
      ];
      const { vfs } = await buildTable(entries, { pageSizeBytes: 1024, legacyPages });
      const reader = await openTable(vfs);
      expect(collectForward(reader.iterator()).map(plain)).toEqual(entries.map((e) => plain({ ...e, value: e.kind === EntryKind.Delete ? new Uint8Array(0) : e.value })));
      await reader.verify();
      await reader.close();
    }
  });

  test('lz4 saves space on compressible data; incompressible pages stay raw', async () => {
    const sizes: Record<string, number> = {};
    for (const [name, compression, valueOf] of [
      ['none', 'none', (i: number) => text(`value-${i % 10}-`.repeat(10))],
      ['lz4', 'lz4', (i: number) => text(`value-${i % 10}-`.repeat(10))],
      ['none-random', 'none', (i: number) => patterned(100, i)],
      ['lz4-random', 'lz4', (i: number) => patterned(100, i)],
    ] as const) {
      const { builder } = await newBuilder({ compression });
      for (let i = 0; i < 5000; i++) builder.add(text(`key${String(i).padStart(8, '0')}`), seqOf(1), EntryKind.Put, valueOf(i));
      sizes[name] = (await builder.finish()).fileSizeBytes;
    }
    expect(sizes['lz4']).toBeLessThan(0.4 * (sizes['none'] ?? 0));
    expect(sizes['lz4-random']).toBeLessThan(1.01 * (sizes['none-random'] ?? 0));
  });
});
