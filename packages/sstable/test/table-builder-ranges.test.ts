import { toSeqNum } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { TableBuilder } from '../src/index.js';
import { fixedCaseArb, uniformCaseArb, variableCaseArb } from './arbitraries.js';
import type { TableCase } from './arbitraries.js';
import { TABLE_PATH, buildTable } from './helpers.js';

// Goal: `addRange` (a key and a value given as ranges of larger arrays, as a table build over
// a packed run passes them) writes exactly the file `add` writes.
// Strategy: each generated table is built twice, once with `add` and once with every key and
// value placed at a random offset of a shared, padded array (so neighbouring bytes are other
// entries' data), and the two files are compared byte for byte. All three slot layouts, page
// sizes, compression, overflow keys and values.
// Invariant: same bytes, same properties.

/** The entries laid into one array with `gaps` filler bytes before each key and value. */
function embed(tableCase: TableCase, gaps: readonly number[]): { bytes: Uint8Array; at: { key: number; value: number }[] } {
  let size = 0;
  const at: { key: number; value: number }[] = [];
  tableCase.entries.forEach((entry, i) => {
    size += gaps[(2 * i) % gaps.length] ?? 0;
    const key = size;
    size += entry.key.length + (gaps[(2 * i + 1) % gaps.length] ?? 0);
    at.push({ key, value: size });
    size += entry.value.length;
  });
  const bytes = new Uint8Array(size + 3).fill(0xa5);
  tableCase.entries.forEach((entry, i) => {
    const place = at[i] as { key: number; value: number };
    bytes.set(entry.key, place.key);
    bytes.set(entry.value, place.value);
  });
  return { bytes, at };
}

async function buildWithRanges(tableCase: TableCase, gaps: readonly number[]): Promise<{ vfs: MemoryVfs }> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db', { recursive: true });
  const builder = await TableBuilder.create(vfs, TABLE_PATH, tableCase.options);
  const { bytes, at } = embed(tableCase, gaps);
  tableCase.entries.forEach((entry, i) => {
    const place = at[i] as { key: number; value: number };
    builder.addRange(bytes, place.key, entry.key.length, toSeqNum(entry.seq), entry.kind, bytes, place.value, entry.value.length);
  });
  await builder.finish();
  return { vfs };
}

const gapsArb = fc.array(fc.nat(9), { minLength: 1, maxLength: 8 });

describe('TableBuilder.addRange', () => {
  for (const [name, arb] of [
    ['variable-width', variableCaseArb],
    ['compact pages of uniform keys', uniformCaseArb],
    ['fixed-width', fixedCaseArb],
  ] as const) {
    test(`writes the same file as add (${name})`, async () => {
      await fc.assert(
        fc.asyncProperty(arb, gapsArb, async (tableCase, gaps) => {
          const byAdd = await buildTable(tableCase.entries, tableCase.options);
          const byRange = await buildWithRanges(tableCase, gaps);
          const expected = await byAdd.vfs.readFile(TABLE_PATH);
          const actual = await byRange.vfs.readFile(TABLE_PATH);
          expect(actual.length).toBe(expected.length);
          expect(Buffer.compare(actual, expected)).toBe(0);
        }),
        { numRuns: 60 },
      );
    });
  }

  test('a range outside its array is an AssertionError', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('/db', { recursive: true });
    const builder = await TableBuilder.create(vfs, TABLE_PATH);
    const bytes = new Uint8Array(8);
    expect(() => builder.addRange(bytes, 6, 4, toSeqNum(1), 1, bytes, 0, 1)).toThrow(/ranges lie inside/);
    expect(() => builder.addRange(bytes, 0, 2, toSeqNum(1), 1, bytes, 7, 2)).toThrow(/ranges lie inside/);
    await builder.abandon();
  });
});
