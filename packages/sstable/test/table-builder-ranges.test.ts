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

  test('a range outside its array, negative or fractional, is an AssertionError and adds nothing', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('/db', { recursive: true });
    const builder = await TableBuilder.create(vfs, TABLE_PATH);
    const bytes = new Uint8Array(8);
    for (const [keyStart, keyLength, valueStart, valueLength] of [
      [6, 4, 0, 1],
      [0, 2, 7, 2],
      [2, -1, 0, 1],
      [0, 2, 3, -2],
      [1.5, 2, 0, 1],
      [0, 2, 0, 2.5],
      [-1, 2, 0, 1],
    ] as const) {
      expect(() => builder.addRange(bytes, keyStart, keyLength, toSeqNum(1), 1, bytes, valueStart, valueLength)).toThrow(/ranges lie inside/);
    }
    builder.addRange(bytes, 0, 2, toSeqNum(1), 1, bytes, 2, 3);
    const properties = await builder.finish();
    expect(properties.entryCount).toBe(1);
  });

  // Goal: the builder keeps copies, so a caller may reuse its arrays after each call, a Node
  // Buffer too (whose own `slice` is a view of the caller's memory).
  // Strategy: every key and value is written into one Buffer that the next entry overwrites,
  // through `add` and through `addRange` at an offset; compact pages keep a copy of their
  // first key for the shared prefix, and the builder of the smallest key.
  // Invariant: the same file as one built from fresh arrays.
  test('keeps copies of what it is given: a reused Buffer writes the file fresh arrays write', async () => {
    await fc.assert(
      fc.asyncProperty(uniformCaseArb, fc.nat(7), fc.boolean(), async (tableCase, offset, byRange) => {
        const expected = await (await buildTable(tableCase.entries, tableCase.options)).vfs.readFile(TABLE_PATH);
        const vfs = new MemoryVfs();
        await vfs.mkdir('/db', { recursive: true });
        const builder = await TableBuilder.create(vfs, TABLE_PATH, tableCase.options);
        const scratch = Buffer.alloc(offset + Math.max(0, ...tableCase.entries.map((entry) => entry.key.length + entry.value.length)));
        for (const entry of tableCase.entries) {
          scratch.fill(0x5a);
          scratch.set(entry.key, offset);
          const valueAt = offset + entry.key.length;
          scratch.set(entry.value, valueAt);
          if (byRange) builder.addRange(scratch, offset, entry.key.length, toSeqNum(entry.seq), entry.kind, scratch, valueAt, entry.value.length);
          else builder.add(scratch.subarray(offset, valueAt), toSeqNum(entry.seq), entry.kind, scratch.subarray(valueAt, valueAt + entry.value.length));
        }
        scratch.fill(0xff);
        await builder.finish();
        expect(Buffer.compare(await vfs.readFile(TABLE_PATH), expected)).toBe(0);
      }),
      { numRuns: 40 },
    );
  });
});
