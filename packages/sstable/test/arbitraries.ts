/**
 * fast-check generators of sorted internal-entry sets for both slot layouts. Keys come from a
 * small alphabet so many versions of one key occur; some keys and values are longer than a
 * page (overflow chains); long ones are expanded from a seed so generation stays cheap.
 */
import { EntryKind } from '@kv/base';
import fc from 'fast-check';
import type { TableBuildOptions } from '../src/index.js';
import { normalize, patterned } from './helpers.js';
import type { ModelEntry } from './helpers.js';

export const pageSizeArb: fc.Arbitrary<number> = fc.constantFrom(1024, 2048, 4096, 16_384, 65_536);

const longBytesArb = (min: number, max: number): fc.Arbitrary<Uint8Array> =>
  fc.record({ head: fc.uint8Array({ maxLength: 2 }), length: fc.integer({ min, max }), seed: fc.nat(1000) }).map(({ head, length, seed }) => {
    const bytes = patterned(length, seed);
    bytes.set(head.subarray(0, Math.min(head.length, length)));
    return bytes;
  });

const variableKeyArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 3, min: 0, max: 3 }) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: longBytesArb(100, 1500) },
  { weight: 1, arbitrary: longBytesArb(2000, 5000) },
);

const variableValueArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 3, arbitrary: fc.constant(new Uint8Array(0)) },
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 200 }) },
  { weight: 1, arbitrary: longBytesArb(900, 5000) },
  { weight: 1, arbitrary: longBytesArb(60_000, 140_000) },
);

const seqArb: fc.Arbitrary<number> = fc.oneof(
  { weight: 9, arbitrary: fc.integer({ min: 0, max: 1000 }) },
  { weight: 1, arbitrary: fc.constantFrom(Number.MAX_SAFE_INTEGER, 2 ** 32, 2 ** 32 - 1, 2 ** 48 + 7) },
);

const kindArb: fc.Arbitrary<EntryKind> = fc.constantFrom(EntryKind.Put, EntryKind.Put, EntryKind.Put, EntryKind.Delete);

export interface TableCase {
  entries: ModelEntry[];
  options: TableBuildOptions;
}

export const variableCaseArb: fc.Arbitrary<TableCase> = fc
  .record({
    raw: fc.array(fc.record({ key: variableKeyArb, seq: seqArb, kind: kindArb, value: variableValueArb }), { maxLength: 120 }),
    pageSizeBytes: pageSizeArb,
    compression: fc.constantFrom('none' as const, 'lz4' as const),
    inlineKeyBytes: fc.constantFrom(0, 4, 16, 64),
    legacyPages: fc.boolean(),
  })
  .map(({ raw, pageSizeBytes, compression, inlineKeyBytes, legacyPages }) => ({
    entries: normalize(raw.map((e) => ({ ...e, value: e.kind === EntryKind.Delete ? new Uint8Array(0) : e.value }))),
    options: { pageSizeBytes, compression, inlineKeyBytes, legacyPages },
  }));

/**
 * Variable-width files in the shape compact pages are made for: zero-padded decimal keys of
 * one length (long shared prefixes), values of one length (inline), seqs from a narrow or a
 * wide range; some sets mix in deletes and a few odd records that widen the page's fields.
 */
export const uniformCaseArb: fc.Arbitrary<TableCase> = fc
  .record({
    numbers: fc.uniqueArray(fc.nat(2_000_000), { maxLength: 400 }),
    valueLength: fc.constantFrom(0, 1, 8, 100, 1000),
    seqSpan: fc.constantFrom(1, 200, 70_000, 2 ** 40),
    deleteEvery: fc.constantFrom(0, 3, 50),
    odd: fc.array(fc.record({ key: fc.uint8Array({ maxLength: 20, min: 0x30, max: 0x39 }), seq: seqArb, kind: kindArb, value: variableValueArb }), { maxLength: 3 }),
    pageSizeBytes: fc.constantFrom(1024, 4096),
    compression: fc.constantFrom('none' as const, 'lz4' as const),
  })
  .map(({ numbers, valueLength, seqSpan, deleteEvery, odd, pageSizeBytes, compression }) => {
    const regular = numbers.map((n, i) => {
      const kind = deleteEvery > 0 && i % deleteEvery === 0 ? EntryKind.Delete : EntryKind.Put;
      const key = new TextEncoder().encode(String(n).padStart(16, '0'));
      return { key, seq: (n * 7919) % seqSpan, kind, value: kind === EntryKind.Delete ? new Uint8Array(0) : patterned(valueLength, n) };
    });
    const extra = odd.map((e) => ({ ...e, value: e.kind === EntryKind.Delete ? new Uint8Array(0) : e.value }));
    return { entries: normalize([...regular, ...extra]), options: { pageSizeBytes, compression } };
  });

export const fixedCaseArb: fc.Arbitrary<TableCase> = fc
  .record({
    keySize: fc.constantFrom(0, 1, 4, 16),
    valueSize: fc.constantFrom(0, 8, 100, 900),
    pageSizeBytes: pageSizeArb,
    compression: fc.constantFrom('none' as const, 'lz4' as const),
    raw: fc.array(fc.record({ keySeed: fc.nat(40), seq: seqArb, kind: kindArb, valueSeed: fc.nat(1000) }), { maxLength: 300 }),
  })
  .map(({ keySize, valueSize, pageSizeBytes, compression, raw }) => ({
    entries: normalize(
      raw.map((e) => ({
        key: patterned(keySize, e.keySeed + 1),
        seq: e.seq,
        kind: e.kind,
        value: e.kind === EntryKind.Delete ? new Uint8Array(0) : patterned(valueSize, e.valueSeed + 7),
      })),
    ),
    options: { pageSizeBytes, compression, fixedWidth: { keySize, valueSize } },
  }));
