import { EntryKind, isKvError } from '@kv/base';
import { describe, expect, test } from 'vitest';
import { TableBuilder } from '../src/index.js';
import { TABLE_PATH, buildTable, openTable, plain, seqOf } from './helpers.js';
import { MemoryVfs } from '@kv/vfs';

async function fixedBuilder(keySize: number, valueSize: number): Promise<TableBuilder> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db', { recursive: true });
  return TableBuilder.create(vfs, TABLE_PATH, { pageSizeBytes: 1024, fixedWidth: { keySize, valueSize } });
}

function codeOf(run: () => void): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return isKvError(error) ? error.code : 'other';
  }
}

describe('strict fixed-width mode', () => {
  test('a key or value of another width is INVALID_ARGUMENT', async () => {
    const builder = await fixedBuilder(4, 3);
    const key = new Uint8Array([1, 2, 3, 4]);
    expect(codeOf(() => builder.add(new Uint8Array(3), seqOf(1), EntryKind.Put, new Uint8Array(3)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => builder.add(new Uint8Array(5), seqOf(1), EntryKind.Put, new Uint8Array(3)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => builder.add(key, seqOf(1), EntryKind.Put, new Uint8Array(2)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => builder.add(key, seqOf(1), EntryKind.Put, new Uint8Array(0)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => builder.add(key, seqOf(1), EntryKind.Delete, new Uint8Array(1)))).toBe('INVALID_ARGUMENT');
    expect(codeOf(() => builder.add(key, seqOf(2), EntryKind.Delete, new Uint8Array(0)))).toBeUndefined();
    expect(codeOf(() => builder.add(key, seqOf(1), EntryKind.Put, new Uint8Array(3)))).toBeUndefined();
    await builder.abandon();
  });

  test('widths that do not fit a page are INVALID_ARGUMENT at create', async () => {
    const vfs = new MemoryVfs();
    await expect(TableBuilder.create(vfs, '/x.sst', { pageSizeBytes: 1024, fixedWidth: { keySize: 600, valueSize: 500 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await expect(TableBuilder.create(vfs, '/x.sst', { fixedWidth: { keySize: -1, valueSize: 5 } })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    expect(await vfs.stat('/x.sst')).toBeUndefined();
  });

  test('slots hold key, seq, kind and value with no length fields', async () => {
    const entries = [
      { key: new Uint8Array([0xa1, 0xa2, 0xa3, 0xa4]), seq: 0x0102030405, kind: EntryKind.Put, value: new Uint8Array([0xb1, 0xb2, 0xb3]) },
      { key: new Uint8Array([0xa1, 0xa2, 0xa3, 0xa4]), seq: 7, kind: EntryKind.Delete, value: new Uint8Array(0) },
      { key: new Uint8Array([0xc1, 0xc2, 0xc3, 0xc4]), seq: 9, kind: EntryKind.Put, value: new Uint8Array([0xd1, 0xd2, 0xd3]) },
    ];
    const { vfs, properties } = await buildTable(entries, { pageSizeBytes: 1024, fixedWidth: { keySize: 4, valueSize: 3 } });
    expect(properties.fixedWidth).toEqual({ keySize: 4, valueSize: 3 });
    const bytes = await vfs.readFile(TABLE_PATH);
    const hex = (from: number, to: number): string => Buffer.from(bytes.subarray(from, to)).toString('hex');
    // Header: crc, kind 1 (data), reserved, 3 slots, page 0, heap 0 bytes.
    expect(hex(4, 16)).toBe('010003000000000000000000');
    // Slot i of width 4 + 7 + 1 + 3 = 15 starts at 16 + 15 i.
    expect(hex(16, 31)).toBe('a1a2a3a4' + '05040302010000' + '01' + 'b1b2b3');
    expect(hex(31, 46)).toBe('a1a2a3a4' + '07000000000000' + '00' + '000000');
    expect(hex(46, 61)).toBe('c1c2c3c4' + '09000000000000' + '01' + 'd1d2d3');
    expect(bytes.subarray(61, 1024).every((byte) => byte === 0)).toBe(true);
    const reader = await openTable(vfs);
    expect(plain(reader.get(entries[0]?.key ?? new Uint8Array(0), seqOf(8)))).toEqual(plain(entries[1]));
    await reader.close();
  });
});
