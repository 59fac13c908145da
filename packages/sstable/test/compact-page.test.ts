/**
 * Version 3 "compact" data pages: the little-endian field helpers, the page descriptor, the
 * page plan (its byte count is exactly what the finished page uses), slot read-back through
 * `DataPage`, parity with legacy (version 1/2) geometry, and forged (re-sealed) pages.
 */
import { CorruptionError, EntryKind, isKvError, toSeqNum } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DataPage } from '../src/data-page.js';
import type { OverflowSource } from '../src/data-page.js';
import { DataPageBuilder } from '../src/data-page-builder.js';
import type { OverflowRef, SlotRecord } from '../src/data-page-builder.js';
import {
  DESCRIPTOR_BYTES,
  DESCRIPTOR_KEY_FIELDS_OFFSET,
  DESCRIPTOR_PREFIX_LENGTH_OFFSET,
  DESCRIPTOR_RESERVED_OFFSET,
  DESCRIPTOR_SEQ_BASE_OFFSET,
  DESCRIPTOR_SEQ_WIDTH_OFFSET,
  DESCRIPTOR_SUFFIX_WIDTH_OFFSET,
  DESCRIPTOR_UNIFORM_SUFFIX_OFFSET,
  DESCRIPTOR_UNIFORM_VALUE_OFFSET,
  DESCRIPTOR_VALUE_FIELDS_OFFSET,
  KEY_BYTES_MAX,
  KEY_FIELDS_LENGTH_MASK,
  PAGE_EXTRA_OFFSET,
  PAGE_HEADER_BYTES,
  PageKind,
  SEQ_MAX,
  SLOT_FLAG_VALUE_OVERFLOW,
  VALUE_BYTES_MAX,
  VALUE_FIELDS_INLINE,
  VALUE_FIELDS_LENGTH_MASK,
} from '../src/format.js';
import { checkEverySlot, slotsCanBeWrong } from '../src/check-slots.js';
import { bytesToHold, layoutGeometry, readDescriptor, readUintLE, resolveGeometry, writeDescriptor, writeUintLE } from '../src/page-geometry.js';
import type { PageGeometry, SlotFields } from '../src/page-geometry.js';
import { BlockCache } from '../src/index.js';
import { PagePlan } from '../src/page-plan.js';
import type { PlannedRecord } from '../src/page-plan.js';
import { keyLocalMaxBytes, recordOverheadMaxBytes, resolveLayout } from '../src/table-layout.js';
import type { TableLayout } from '../src/table-layout.js';
import { TABLE_PATH, buildTable, collectBackward, collectForward, fixChecksum, flipByte, openTable, patterned, replaceFile, text } from './helpers.js';
import type { ModelEntry } from './helpers.js';

const sign = (n: number): number => (n > 0 ? 1 : n < 0 ? -1 : 0);
const compareKeys = (a: Uint8Array, b: Uint8Array): number => sign(Buffer.compare(a, b));
const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** Largest value a field of `width` bytes holds (seqs and offsets stay below 2^53). */
const maxOfWidth = (width: number): number => (width >= 7 ? SEQ_MAX : 256 ** width - 1);

/** Reference little-endian encoding through bigint. */
function leBytes(value: number, width: number): Uint8Array {
  const out = new Uint8Array(width);
  let rest = BigInt(value);
  for (let j = 0; j < width; j++) {
    out[j] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  expect(rest).toBe(0n);
  return out;
}

function leValue(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let j = bytes.length - 1; j >= 0; j--) value = value * 256n + BigInt(bytes[j] as number);
  return value;
}

/** Runs `read`; returns the error code when it threw a KvError and rethrows anything else. */
function codeOf(read: () => unknown): string | undefined {
  try {
    read();
    return undefined;
  } catch (error) {
    if (isKvError(error)) return error.code;
    throw error;
  }
}

describe('little-endian fields', () => {
  const widthValueArb = fc.integer({ min: 0, max: 7 }).chain((width) =>
    fc.record({
      width: fc.constant(width),
      value: fc.oneof(fc.maxSafeNat().map((v) => v % (maxOfWidth(width) + 1)), fc.constantFrom(0, Math.min(1, maxOfWidth(width)), maxOfWidth(width), Math.floor(maxOfWidth(width) / 2))),
      noise: fc.uint8Array({ minLength: 24, maxLength: 24 }),
      at: fc.integer({ min: 0, max: 16 }),
    }),
  );

  test('writeUintLE then readUintLE round-trips every width 0..7 and touches only its bytes', () => {
    fc.assert(
      fc.property(widthValueArb, ({ width, value, noise, at }) => {
        const bytes = noise.slice();
        writeUintLE(bytes, at, width, value);
        expect(Array.from(bytes.subarray(at, at + width))).toEqual(Array.from(leBytes(value, width)));
        expect(Array.from(bytes.subarray(0, at))).toEqual(Array.from(noise.subarray(0, at)));
        expect(Array.from(bytes.subarray(at + width))).toEqual(Array.from(noise.subarray(at + width)));
        expect(readUintLE(bytes, at, width)).toBe(value);
      }),
      { numRuns: 2000, seed: 0x1e },
    );
  });

  test('readUintLE of arbitrary bytes is their little-endian value (exact below 2^53)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 7 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 0, max: 9 }), (width, bytes, at) => {
        if (width === 7) bytes[at + 6] = (bytes[at + 6] as number) & 0x1f; // keep it below 2^53
        expect(readUintLE(bytes, at, width)).toBe(Number(leValue(bytes.subarray(at, at + width))));
      }),
      { numRuns: 2000, seed: 0x2e },
    );
  });

  test('bytesToHold is the least width w with v < 256^w', () => {
    const least = (value: number): number => {
      let width = 0;
      while (BigInt(value) >= 256n ** BigInt(width)) width++;
      return width;
    };
    fc.assert(
      fc.property(fc.oneof(fc.maxSafeNat(), fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 6 }).map((w) => 256 ** w - 1)), (value) => {
        const width = bytesToHold(value);
        expect(width).toBe(least(value));
        expect(value < 256 ** width).toBe(true);
        if (width > 0) expect(value >= 256 ** (width - 1)).toBe(true);
      }),
      { numRuns: 2000, seed: 0x3e },
    );
    const boundaries: [number, number][] = [
      [0, 0],
      [1, 1],
      [255, 1],
      [256, 2],
      [65_535, 2],
      [65_536, 3],
      [2 ** 24 - 1, 3],
      [2 ** 24, 4],
      [2 ** 32 - 1, 4],
      [2 ** 32, 5],
      [2 ** 40 - 1, 5],
      [2 ** 40, 6],
      [2 ** 48 - 1, 6],
      [2 ** 48, 7],
      [2 ** 53 - 1, 7],
    ];
    for (const [value, width] of boundaries) expect([value, bytesToHold(value)]).toEqual([value, width]);
  });
});

const DESCRIPTOR_PAGE_BYTES = 4096;
const PREFIX_START = PAGE_HEADER_BYTES + DESCRIPTOR_BYTES;
const PREFIX_MAX = DESCRIPTOR_PAGE_BYTES - PREFIX_START;

/** Valid slot fields by the rules of `descriptorProblem`, with a prefix that fits a 4 KiB page. */
const validFieldsArb: fc.Arbitrary<SlotFields> = fc
  .record({
    prefixLength: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: PREFIX_MAX }), fc.constant(PREFIX_MAX)),
    suffixWidth: fc.integer({ min: 0, max: 64 }),
    keyLengthWidth: fc.integer({ min: 0, max: 2 }),
    uniformSuffix: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: KEY_BYTES_MAX }), fc.constant(KEY_BYTES_MAX)),
    keyOffsetPresent: fc.boolean(),
    seqWidth: fc.integer({ min: 0, max: 7 }),
    seqBase: fc.oneof(fc.maxSafeNat(), fc.integer({ min: 0, max: 1000 }), fc.constantFrom(0, SEQ_MAX, 2 ** 48, 2 ** 32 - 1)),
    flagsPresent: fc.boolean(),
    valuesInline: fc.boolean(),
    valueLengthWidth: fc.constantFrom(0, 1, 2, 4),
    uniformValue: fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: VALUE_BYTES_MAX }), fc.constant(VALUE_BYTES_MAX)),
  })
  .map((r) => {
    const valueLengthWidth = r.valuesInline ? 0 : r.valueLengthWidth;
    const uniformValue = r.valuesInline || valueLengthWidth === 0;
    return {
      prefixLength: r.prefixLength,
      suffixWidth: r.suffixWidth,
      keyLengthWidth: r.keyLengthWidth,
      uniformSuffixLength: r.keyLengthWidth === 0 ? Math.min(r.uniformSuffix, KEY_BYTES_MAX - r.prefixLength) : 0,
      keyOffsetPresent: r.keyOffsetPresent,
      seqWidth: r.seqWidth,
      seqBase: r.seqBase,
      flagsPresent: r.flagsPresent,
      valuesInline: r.valuesInline,
      valueLengthWidth,
      uniformValueLength: uniformValue ? r.uniformValue : 0,
    };
  });

function describedPage(fields: SlotFields, prefixSeed: number, prefixStart = 0): { page: Uint8Array; prefix: Uint8Array; geometry: PageGeometry } {
  const page = new Uint8Array(DESCRIPTOR_PAGE_BYTES);
  const geometry = resolveGeometry(fields, true);
  const prefix = patterned(fields.prefixLength + prefixStart, prefixSeed).subarray(prefixStart);
  writeDescriptor(page, geometry, prefix);
  return { page, prefix, geometry };
}

type Forgery = { name: string; forge: (page: Uint8Array, view: DataView, n: number) => void };

/** Each makes a valid descriptor invalid; `n` is a random number 0..2^31-1 to vary the bad value. */
const FORGERIES: readonly Forgery[] = [
  { name: 'unknown key-field bits', forge: (page, _view, n) => (page[DESCRIPTOR_KEY_FIELDS_OFFSET] = (page[DESCRIPTOR_KEY_FIELDS_OFFSET] as number) | (0x08 << n % 5)) },
  { name: 'key length width 3', forge: (page) => (page[DESCRIPTOR_KEY_FIELDS_OFFSET] = (page[DESCRIPTOR_KEY_FIELDS_OFFSET] as number) | KEY_FIELDS_LENGTH_MASK) },
  { name: 'unknown value-field bits', forge: (page, _view, n) => (page[DESCRIPTOR_VALUE_FIELDS_OFFSET] = (page[DESCRIPTOR_VALUE_FIELDS_OFFSET] as number) | (0x10 << n % 4)) },
  { name: 'non-zero reserved byte', forge: (page, _view, n) => (page[DESCRIPTOR_RESERVED_OFFSET] = 1 + (n % 255)) },
  { name: 'suffix width 65', forge: (page) => (page[DESCRIPTOR_SUFFIX_WIDTH_OFFSET] = 65) },
  { name: 'suffix width above 65', forge: (page, _view, n) => (page[DESCRIPTOR_SUFFIX_WIDTH_OFFSET] = 65 + (n % 191)) },
  { name: 'seq width 8', forge: (page) => (page[DESCRIPTOR_SEQ_WIDTH_OFFSET] = 8) },
  { name: 'seq width above 8', forge: (page, _view, n) => (page[DESCRIPTOR_SEQ_WIDTH_OFFSET] = 8 + (n % 248)) },
  { name: 'seq base 2^53', forge: (page) => writeUintLE(page, DESCRIPTOR_SEQ_BASE_OFFSET, 7, 2 ** 53) },
  { name: 'seq base all ones', forge: (page) => page.fill(0xff, DESCRIPTOR_SEQ_BASE_OFFSET, DESCRIPTOR_SEQ_BASE_OFFSET + 7) },
  {
    name: 'uniform suffix with a length field',
    forge: (page, view, n) => {
      page[DESCRIPTOR_KEY_FIELDS_OFFSET] = ((page[DESCRIPTOR_KEY_FIELDS_OFFSET] as number) & ~KEY_FIELDS_LENGTH_MASK) | (1 + (n % 2));
      view.setUint16(DESCRIPTOR_PREFIX_LENGTH_OFFSET, 0, true);
      view.setUint16(DESCRIPTOR_UNIFORM_SUFFIX_OFFSET, 1 + (n % 300), true);
    },
  },
  {
    name: 'inline values with a length field',
    forge: (page, _view, n) => (page[DESCRIPTOR_VALUE_FIELDS_OFFSET] = ((page[DESCRIPTOR_VALUE_FIELDS_OFFSET] as number) & ~VALUE_FIELDS_LENGTH_MASK) | VALUE_FIELDS_INLINE | (1 + (n % 3))),
  },
  {
    name: 'uniform value length with a length field',
    forge: (page, view, n) => {
      page[DESCRIPTOR_VALUE_FIELDS_OFFSET] = ((page[DESCRIPTOR_VALUE_FIELDS_OFFSET] as number) & ~(VALUE_FIELDS_LENGTH_MASK | VALUE_FIELDS_INLINE)) | (1 + (n % 3));
      view.setUint32(DESCRIPTOR_UNIFORM_VALUE_OFFSET, 1 + (n % 1000), true);
    },
  },
  {
    name: 'uniform value length over the limit',
    forge: (page, view, n) => {
      page[DESCRIPTOR_VALUE_FIELDS_OFFSET] = (page[DESCRIPTOR_VALUE_FIELDS_OFFSET] as number) & ~VALUE_FIELDS_LENGTH_MASK;
      view.setUint32(DESCRIPTOR_UNIFORM_VALUE_OFFSET, VALUE_BYTES_MAX + 1 + (n % 1000), true);
    },
  },
  {
    name: 'uniform key length over the limit',
    forge: (page, view, n) => {
      const prefix = 1 + (n % 200);
      page[DESCRIPTOR_KEY_FIELDS_OFFSET] = (page[DESCRIPTOR_KEY_FIELDS_OFFSET] as number) & ~KEY_FIELDS_LENGTH_MASK;
      view.setUint16(DESCRIPTOR_PREFIX_LENGTH_OFFSET, prefix, true);
      view.setUint16(DESCRIPTOR_UNIFORM_SUFFIX_OFFSET, KEY_BYTES_MAX - prefix + 1, true);
    },
  },
  { name: 'prefix one byte past the page', forge: (_page, view) => view.setUint16(DESCRIPTOR_PREFIX_LENGTH_OFFSET, PREFIX_MAX + 1, true) },
  { name: 'prefix far past the page', forge: (_page, view, n) => view.setUint16(DESCRIPTOR_PREFIX_LENGTH_OFFSET, PREFIX_MAX + 1 + (n % (0xffff - PREFIX_MAX)), true) },
];

describe('page descriptor', () => {
  test('writeDescriptor then readDescriptor returns the geometry of resolveGeometry(fields, true)', () => {
    fc.assert(
      fc.property(validFieldsArb, fc.nat(1000), (fields, seed) => {
        const { page, prefix, geometry } = describedPage(fields, seed, 3);
        expect(readDescriptor(page, 'test')).toEqual(geometry);
        expect(geometry.prefixStart).toBe(PREFIX_START);
        expect(geometry.slotBase).toBe(PREFIX_START + fields.prefixLength);
        expect(Array.from(page.subarray(PREFIX_START, PREFIX_START + fields.prefixLength))).toEqual(Array.from(prefix.subarray(0, fields.prefixLength)));
        // Nothing outside the descriptor and prefix is written; the reserved byte stays zero.
        expect(page.subarray(0, PAGE_HEADER_BYTES).every((b) => b === 0)).toBe(true);
        expect(page[DESCRIPTOR_RESERVED_OFFSET]).toBe(0);
        expect(page.subarray(PREFIX_START + fields.prefixLength).every((b) => b === 0)).toBe(true);
      }),
      { numRuns: 1500, seed: 0xde5c },
    );
  });

  test('descriptor bytes follow the documented layout', () => {
    const fields: SlotFields = {
      prefixLength: 3,
      suffixWidth: 9,
      keyLengthWidth: 1,
      uniformSuffixLength: 0,
      keyOffsetPresent: true,
      seqWidth: 2,
      seqBase: 0x0102030405,
      flagsPresent: true,
      valuesInline: false,
      valueLengthWidth: 4,
      uniformValueLength: 0,
    };
    const page = new Uint8Array(64);
    writeDescriptor(page, resolveGeometry(fields, true), text('abc'));
    // S=3 | K'=9 | key fields 1|4 | seq width 2 | value fields code 3 | flags 8 | 0 | 0 | base | reserved | prefix
    expect(Buffer.from(page.subarray(16, 39)).toString('hex')).toBe('0300' + '09' + '05' + '02' + '0b' + '0000' + '00000000' + '05040302010000' + '00' + '616263');
    const geometry = readDescriptor(page, 'test');
    // key length (1) | key offset (2) | suffix (9) | seq (2) | flags (1) | value offset (2) | value length (4)
    expect(geometry).toMatchObject({ slotBase: 39, slotWidth: 21, keyOffsetAt: 1, suffixAt: 3, seqAt: 12, flagsAt: 14, valueAt: 15, valueLengthAt: 17 });
  });

  test('every invalid field combination is CORRUPTION', () => {
    fc.assert(
      fc.property(validFieldsArb, fc.nat(FORGERIES.length - 1), fc.nat(), (fields, which, n) => {
        const { page } = describedPage(fields, 1);
        const forgery = FORGERIES[which] as Forgery;
        forgery.forge(page, new DataView(page.buffer), n);
        let caught: unknown;
        try {
          readDescriptor(page, 'forged');
        } catch (error) {
          caught = error;
        }
        expect([forgery.name, isKvError(caught, 'CORRUPTION')]).toEqual([forgery.name, true]);
        expect(String((caught as Error).message)).toMatch(/^forged: .*descriptor/);
      }),
      { numRuns: 1500, seed: 0xbadd },
    );
    // Every forgery, from one plain descriptor.
    const plainFields: SlotFields = {
      prefixLength: 10,
      suffixWidth: 16,
      keyLengthWidth: 1,
      uniformSuffixLength: 0,
      keyOffsetPresent: false,
      seqWidth: 1,
      seqBase: 5,
      flagsPresent: false,
      valuesInline: false,
      valueLengthWidth: 2,
      uniformValueLength: 0,
    };
    for (const forgery of FORGERIES) {
      const { page } = describedPage(plainFields, 2);
      expect(codeOf(() => readDescriptor(page, 'ok'))).toBeUndefined();
      forgery.forge(page, new DataView(page.buffer), 7);
      expect([forgery.name, codeOf(() => readDescriptor(page, 'forged'))]).toEqual([forgery.name, 'CORRUPTION']);
    }
    // A page too short for its descriptor.
    const { page } = describedPage(plainFields, 3);
    expect(codeOf(() => readDescriptor(page.subarray(0, PREFIX_START - 1), 'short'))).toBe('CORRUPTION');
    // The prefix may end exactly at the page end.
    const edge = describedPage({ ...plainFields, prefixLength: PREFIX_MAX }, 4);
    expect(readDescriptor(edge.page, 'edge').slotBase).toBe(DESCRIPTOR_PAGE_BYTES);
  });
});

// ---------------------------------------------------------------------------------------------
// Pages built from record lists.

interface RawRecord {
  key: Uint8Array;
  seq: number;
  kind: EntryKind;
  value: Uint8Array;
  /** Mark the key or value as in an overflow chain even when the table builder would not. */
  forceKeyOverflow: boolean;
  forceValueOverflow: boolean;
}

interface PageCase {
  records: RawRecord[];
  probes: Uint8Array[];
  pageSizeBytes: number;
  inlineKeyBytes: number;
  /** Measure another record between a record's `fits` and its `add`, so `add` cannot reuse the measurement. */
  staleProbes: boolean;
}

/** Keys share long stems: a stem (cut or whole) followed by a tail. */
const tailArb: fc.Arbitrary<{ bytes: Uint8Array; overflowable: boolean }> = fc.oneof(
  { weight: 6, arbitrary: fc.uint8Array({ maxLength: 4, min: 0, max: 3 }).map((bytes) => ({ bytes, overflowable: false })) },
  { weight: 3, arbitrary: fc.uint8Array({ maxLength: 40 }).map((bytes) => ({ bytes, overflowable: false })) },
  { weight: 1, arbitrary: fc.record({ length: fc.integer({ min: 41, max: 300 }), seed: fc.nat(20) }).map(({ length, seed }) => ({ bytes: patterned(length, seed), overflowable: false })) },
  // Longer than any shared prefix (256) plus inline suffix (64): may be marked overflow.
  { weight: 1, arbitrary: fc.record({ length: fc.integer({ min: 330, max: 700 }), seed: fc.nat(20) }).map(({ length, seed }) => ({ bytes: patterned(length, seed), overflowable: true })) },
);

type ValueSpec = { style: 'uniform'; seed: number } | { style: 'short'; bytes: Uint8Array } | { style: 'long'; length: number; seed: number } | { style: 'overflow'; length: number; seed: number };

const valueSpecArb: fc.Arbitrary<ValueSpec> = fc.oneof(
  { weight: 40, arbitrary: fc.nat(1000).map((seed) => ({ style: 'uniform' as const, seed })) },
  { weight: 20, arbitrary: fc.uint8Array({ maxLength: 60 }).map((bytes) => ({ style: 'short' as const, bytes })) },
  { weight: 5, arbitrary: fc.record({ length: fc.integer({ min: 200, max: 700 }), seed: fc.nat(1000) }).map((r) => ({ style: 'long' as const, ...r })) },
  { weight: 5, arbitrary: fc.record({ length: fc.integer({ min: 1, max: 3000 }), seed: fc.nat(1000) }).map((r) => ({ style: 'overflow' as const, ...r })) },
  // Over 65,535 bytes: a 4-byte value length field.
  { weight: 1, arbitrary: fc.record({ length: fc.integer({ min: 65_536, max: 70_000 }), seed: fc.nat(1000) }).map((r) => ({ style: 'overflow' as const, ...r })) },
);

const seqStyleArb = fc.constantFrom('small' as const, 'high' as const, 'wide' as const);

function seqArbOf(style: 'small' | 'high' | 'wide'): fc.Arbitrary<number> {
  if (style === 'small') return fc.integer({ min: 0, max: 300 });
  if (style === 'high') return fc.integer({ min: 0, max: 300 }).map((d) => SEQ_MAX - d);
  return fc.oneof(fc.maxSafeNat(), fc.integer({ min: 0, max: 70_000 }), fc.integer({ min: 0, max: 2 ** 24 }), fc.constantFrom(0, SEQ_MAX, 2 ** 32, 2 ** 48 - 1));
}

function sortRecords(records: RawRecord[]): RawRecord[] {
  const sorted = [...records].sort((a, b) => compareKeys(a.key, b.key) || b.seq - a.seq);
  return sorted.filter((r, i) => i === 0 || compareKeys((sorted[i - 1] as RawRecord).key, r.key) !== 0 || (sorted[i - 1] as RawRecord).seq !== r.seq);
}

const pageCaseArb: fc.Arbitrary<PageCase> = fc
  .record({
    stems: fc.array(fc.record({ length: fc.oneof(fc.integer({ min: 0, max: 8 }), fc.integer({ min: 0, max: 300 })), seed: fc.nat(5) }), { minLength: 1, maxLength: 3 }),
    uniformLength: fc.oneof(fc.integer({ min: 0, max: 12 }), fc.integer({ min: 0, max: 60 })),
    valuesMostlyUniform: fc.boolean(),
    putsOnly: fc.boolean(),
    overflowAllowed: fc.boolean(),
    staleProbes: fc.boolean(),
    seqStyle: seqStyleArb,
    pageSizeBytes: fc.constantFrom(1024, 1024, 2048, 4096, 65_536),
    inlineKeyBytes: fc.constantFrom(0, 4, 16, 64),
  })
  .chain((c) =>
    fc
      .record({
        raw: fc.array(
          fc.record({
            stem: fc.nat(c.stems.length - 1),
            cut: fc.oneof({ weight: 4, arbitrary: fc.constant(Number.MAX_SAFE_INTEGER) }, { weight: 1, arbitrary: fc.nat(300) }),
            tail: tailArb,
            seq: seqArbOf(c.seqStyle),
            kind: c.putsOnly ? fc.constant(EntryKind.Put as EntryKind) : fc.constantFrom<EntryKind>(EntryKind.Put, EntryKind.Put, EntryKind.Put, EntryKind.Delete, EntryKind.Delete, EntryKind.PutExpiring),
            value: valueSpecArb,
            forceKeyOverflow: fc.boolean(),
            // A delete given a value: the page stores none and reads back an empty value.
            deleteKeepsValue: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
            versions: fc.oneof({ weight: 4, arbitrary: fc.constant(1) }, { weight: 1, arbitrary: fc.integer({ min: 2, max: 4 }) }),
          }),
          { minLength: 1, maxLength: 160, size: 'medium' },
        ),
        probes: fc.array(
          fc.record({ stem: fc.nat(c.stems.length - 1), cut: fc.nat(310), tail: fc.uint8Array({ maxLength: 6, min: 0, max: 4 }), raw: fc.uint8Array({ maxLength: 20 }), useRaw: fc.boolean() }),
          { maxLength: 30 },
        ),
      })
      .map(({ raw, probes }): PageCase => {
        const stems = c.stems.map((s) => patterned(s.length, s.seed));
        const records: RawRecord[] = [];
        for (const r of raw) {
          const stem = stems[r.stem] as Uint8Array;
          const key = concat(stem.subarray(0, Math.min(r.cut, stem.length)), r.tail.bytes);
          let kind = r.kind;
          let spec = r.value;
          if (!c.overflowAllowed && spec.style === 'overflow') spec = { style: 'long', length: Math.min(spec.length, 700), seed: spec.seed };
          if (c.valuesMostlyUniform && (spec.style === 'short' || spec.style === 'long')) spec = { style: 'uniform', seed: 1 };
          let value: Uint8Array;
          if (spec.style === 'uniform') value = patterned(c.uniformLength, spec.seed);
          else if (spec.style === 'short') value = spec.bytes;
          else value = patterned(spec.length, spec.seed);
          if (kind === EntryKind.PutExpiring && value.length < 8) kind = EntryKind.Put;
          if (kind === EntryKind.Delete && !(r.deleteKeepsValue && spec.style !== 'overflow')) value = new Uint8Array(0);
          for (let v = 0; v < r.versions; v++) {
            records.push({
              key,
              seq: r.seq - v >= 0 ? r.seq - v : r.seq + v,
              kind: v === 0 ? kind : EntryKind.Delete,
              value: v === 0 ? value : new Uint8Array(0),
              forceKeyOverflow: c.overflowAllowed && r.forceKeyOverflow && r.tail.overflowable && v === 0,
              forceValueOverflow: c.overflowAllowed && spec.style === 'overflow' && kind !== EntryKind.Delete && v === 0,
            });
          }
        }
        const probeKeys = probes.map((p) => (p.useRaw ? p.raw : concat((stems[p.stem] as Uint8Array).subarray(0, p.cut), p.tail)));
        return { records: sortRecords(records), probes: probeKeys, pageSizeBytes: c.pageSizeBytes, inlineKeyBytes: c.inlineKeyBytes, staleProbes: c.staleProbes };
      }),
  );

/** A record ready for a page: refs as the table builder would choose them (or forced). */
interface PlacedRecord {
  raw: RawRecord;
  /** The value passed to the page (a delete's may be non-empty; the page stores none). */
  value: Uint8Array;
  keyOverflow: boolean;
  valueOverflow: boolean;
}

function place(records: readonly RawRecord[], layout: TableLayout): PlacedRecord[] {
  const keyLocalMax = keyLocalMaxBytes(layout);
  const overheadMax = recordOverheadMaxBytes(layout);
  return records.map((raw) => {
    const keyOverflow = raw.forceKeyOverflow || raw.key.length > keyLocalMax;
    const keyHeap = keyOverflow ? 12 : raw.key.length > layout.inlineKeyBytes ? raw.key.length : 0;
    const put = raw.kind !== EntryKind.Delete;
    const big = overheadMax + keyHeap + raw.value.length > layout.pageSizeBytes - PAGE_HEADER_BYTES;
    const valueOverflow = put && (raw.forceValueOverflow || big);
    // The table builder would give a big delete value an overflow reference, which makes the page
    // unreadable ('value flags on a delete', reported separately); pass such a delete no value.
    const value = !put && big ? new Uint8Array(0) : raw.value;
    return { raw, value, keyOverflow, valueOverflow };
  });
}

/** Overflow chains of one test: refs with distinct file offsets, resolved back to their bytes. */
class FakeChains implements OverflowSource {
  private readonly chains = new Map<number, Uint8Array>();
  private next = 1;
  reads = 0;

  store(bytes: Uint8Array): OverflowRef {
    const fileOffset = (this.next % 2 === 0 ? 2 ** 45 : 0) + this.next * 4099;
    this.next++;
    this.chains.set(fileOffset, bytes);
    return { fileOffset, storedBytes: bytes.length };
  }

  readOverflow(page: DataPage, refOffset: number, length: number): Uint8Array {
    this.reads++;
    const fileOffset = page.view.getUint32(refOffset, true) + page.view.getUint32(refOffset + 4, true) * 2 ** 32;
    const storedBytes = page.view.getUint32(refOffset + 8, true);
    const bytes = this.chains.get(fileOffset);
    if (bytes === undefined) throw new Error(`no chain at file offset ${fileOffset} (ref at page offset ${refOffset})`);
    if (storedBytes !== bytes.length || length !== bytes.length) throw new Error(`chain of ${bytes.length} bytes read as ${length} (stored ${storedBytes})`);
    return bytes.slice();
  }
}

/** For slots with nothing out of line: any overflow read is a bug. */
const NO_OVERFLOW: OverflowSource = {
  readOverflow(_page: DataPage, refOffset: number): Uint8Array {
    throw new Error(`unexpected overflow read at page offset ${refOffset}`);
  },
};

const PLACEHOLDER: OverflowRef = { fileOffset: 0, storedBytes: 0 };

function slotRecord(record: PlacedRecord, refs: { key: OverflowRef | undefined; value: OverflowRef | undefined }): SlotRecord {
  const { key, seq, kind } = record.raw;
  return { keyBytes: key, keyStart: 0, keyLength: key.length, seq, kind, valueBytes: record.value, valueStart: 0, valueLength: record.value.length, keyRef: refs.key, valueRef: refs.value };
}

function planned(record: PlacedRecord): PlannedRecord {
  const { key, seq, kind } = record.raw;
  return { keyBytes: key, keyStart: 0, keyLength: key.length, seq, kind, valueLength: record.value.length, keyOverflow: record.keyOverflow, valueOverflow: record.valueOverflow };
}

interface BuiltPage {
  image: Uint8Array;
  records: PlacedRecord[];
  /** Compact pages: the page bytes the plan measured for the last record added. */
  measured: number;
}

/** Fills pages like the table builder: add while `fits`, then `finish`. */
function buildPages(records: readonly PlacedRecord[], layout: TableLayout, chains: FakeChains, staleProbes = false): BuiltPage[] {
  const builder = new DataPageBuilder(layout);
  const pages: BuiltPage[] = [];
  let i = 0;
  while (i < records.length) {
    const start = i;
    const shadow = new PagePlan(layout.inlineKeyBytes);
    let measured = 0;
    for (; i < records.length; i++) {
      const record = records[i] as PlacedRecord;
      const sized = slotRecord(record, { key: record.keyOverflow ? PLACEHOLDER : undefined, value: record.valueOverflow ? PLACEHOLDER : undefined });
      const fits = builder.fits(sized);
      if (layout.compactPages) {
        const bytes = shadow.bytesWith(planned(record));
        expect(fits).toBe(bytes <= layout.pageSizeBytes);
        if (fits) {
          if (staleProbes) shadow.bytesWith(planned(records[(i + 1) % records.length] as PlacedRecord));
          shadow.add(planned(record), !staleProbes);
          measured = bytes;
        }
      }
      if (!fits) break;
      if (staleProbes) {
        const other = records[(i + 1) % records.length] as PlacedRecord;
        builder.fits(slotRecord(other, { key: other.keyOverflow ? PLACEHOLDER : undefined, value: other.valueOverflow ? PLACEHOLDER : undefined }));
      }
      const keyRef = record.keyOverflow ? chains.store(record.raw.key) : undefined;
      const valueRef = record.valueOverflow ? chains.store(record.raw.value) : undefined;
      builder.add(slotRecord(record, { key: keyRef, value: valueRef }));
    }
    // A record placed as the table builder places it always fits an empty page.
    expect(i).toBeGreaterThan(start);
    expect(builder.slotCount).toBe(i - start);
    pages.push({ image: builder.finish(pages.length).slice(), records: records.slice(start, i), measured });
  }
  return pages;
}

function linearSearch(records: readonly PlacedRecord[], key: Uint8Array, seq: number, inclusive: boolean): number {
  const at = records.findIndex((r) => {
    const byKey = compareKeys(r.raw.key, key);
    return byKey > 0 || (byKey === 0 && (inclusive ? r.raw.seq <= seq : r.raw.seq < seq));
  });
  return at === -1 ? records.length : at;
}

/** Keys near the page's keys: equal, one byte changed, cut, extended; plus the case's probes. */
function probeKeysFor(page: BuiltPage, all: readonly PlacedRecord[], probes: readonly Uint8Array[]): Uint8Array[] {
  const out: Uint8Array[] = [...probes, new Uint8Array(0), new Uint8Array([0xff, 0xff])];
  const first = page.records[0] as PlacedRecord;
  const last = page.records[page.records.length - 1] as PlacedRecord;
  const firstAt = all.indexOf(first);
  const lastAt = all.indexOf(last);
  for (const r of [all[firstAt - 1], all[lastAt + 1]]) if (r !== undefined) out.push(r.raw.key);
  // Keys from the whole list, other pages included.
  const stride = Math.max(1, Math.floor(all.length / 16));
  for (let j = 0; j < all.length; j += stride) out.push((all[j] as PlacedRecord).raw.key);
  const step = Math.max(1, Math.floor(page.records.length / 12));
  for (let j = 0; j < page.records.length; j += step) {
    const key = (page.records[j] as PlacedRecord).raw.key;
    out.push(key, concat(key, new Uint8Array([0])), key.subarray(0, key.length - 1), key.subarray(0, key.length >> 1));
    if (key.length > 0) {
      const at = (j * 7) % key.length;
      const up = key.slice();
      up[at] = Math.min(255, (up[at] as number) + 1);
      const down = key.slice();
      down[at] = Math.max(0, (down[at] as number) - 1);
      out.push(up, down);
    }
  }
  return out;
}

/**
 * The page object the previous `checkBuiltPage` decoded, reused for the next page (of any case
 * and layout) as the block cache and the point-lookup scratch page reuse theirs: every check
 * below also runs on a page object that held another page before.
 */
let previouslyDecoded: DataPage | undefined;

/** Decodes one page and checks its size and every slot against the records. */
function checkBuiltPage(page: BuiltPage, ordinal: number, layout: TableLayout, all: readonly PlacedRecord[], probes: readonly Uint8Array[], chains: FakeChains): void {
  const decoded = DataPage.decode(page.image, layout, ordinal, 'test', previouslyDecoded);
  if (previouslyDecoded !== undefined) expect(decoded).toBe(previouslyDecoded);
  previouslyDecoded = decoded;
  expect(decoded.ordinal).toBe(ordinal);
  expect(decoded.bytes).toBe(page.image);
  const records = page.records;
  const n = records.length;
  expect(decoded.slotCount).toBe(n);
  const g = decoded.geometry;
  const heapBytes = new DataView(page.image.buffer, page.image.byteOffset).getUint32(PAGE_EXTRA_OFFSET, true);
  const used = g.slotBase + n * g.slotWidth + heapBytes;
  if (layout.compactPages) {
    expect(used).toBe(page.measured);
  } else {
    expect(g.slotWidth).toBe(layout.slotWidthBytes);
    expect(g.slotBase).toBe(PAGE_HEADER_BYTES);
  }
  expect(used).toBeLessThanOrEqual(layout.pageSizeBytes);
  // Between the slots and the heap the page is zero.
  expect(page.image.subarray(g.slotBase + n * g.slotWidth, layout.pageSizeBytes - heapBytes).every((b) => b === 0)).toBe(true);

  for (let i = 0; i < n; i++) {
    const r = records[i] as PlacedRecord;
    const keySource = r.keyOverflow ? chains : NO_OVERFLOW;
    expect(decoded.seqOf(i)).toBe(r.raw.seq);
    expect(decoded.kindOf(i)).toBe(r.raw.kind);
    expect(Buffer.from(decoded.keyOf(i, keySource)).equals(Buffer.from(r.raw.key))).toBe(true);
    const value = decoded.valueOf(i, r.valueOverflow ? chains : NO_OVERFLOW);
    expect(Buffer.from(value).equals(Buffer.from(r.raw.kind === EntryKind.Delete ? new Uint8Array(0) : r.raw.value))).toBe(true);
    expect(decoded.compareKey(i, r.raw.key, keySource)).toBe(0);
  }
  const probeKeys = probeKeysFor(page, all, probes);
  const pageKeys = records.map((r) => r.raw.key);
  for (const key of [...probeKeys, ...pageKeys]) {
    for (let i = 0; i < n; i++) {
      const r = records[i] as PlacedRecord;
      const got = sign(decoded.compareKey(i, key, r.keyOverflow ? chains : NO_OVERFLOW));
      if (got !== compareKeys(r.raw.key, key)) {
        expect({ slot: i, slotKey: Buffer.from(r.raw.key).toString('hex'), key: Buffer.from(key).toString('hex'), got }).toEqual({ slot: i, slotKey: Buffer.from(r.raw.key).toString('hex'), key: Buffer.from(key).toString('hex'), got: compareKeys(r.raw.key, key) });
      }
    }
  }
  const seqStep = Math.max(1, Math.floor(n / 6));
  const seqs = [0, SEQ_MAX, ...records.filter((_, j) => j % seqStep === 0).map((r) => r.raw.seq)];
  const keyStep = Math.max(1, Math.floor(n / 40));
  for (const key of [...probeKeys, ...pageKeys.filter((_, j) => j % keyStep === 0)]) {
    for (const seq of [...seqs, ...records.filter((r) => compareKeys(r.raw.key, key) === 0).flatMap((r) => [r.raw.seq, Math.min(SEQ_MAX, r.raw.seq + 1), Math.max(0, r.raw.seq - 1)])]) {
      for (const inclusive of [true, false]) {
        const want = linearSearch(records, key, seq, inclusive);
        const got = decoded.search(key, seq, inclusive, chains);
        if (got !== want) expect({ key: Buffer.from(key).toString('hex'), seq, inclusive, got }).toEqual({ key: Buffer.from(key).toString('hex'), seq, inclusive, got: want });
      }
    }
  }
}

function decodedEntries(pages: readonly BuiltPage[], layout: TableLayout, chains: FakeChains): { key: string; seq: number; kind: number; value: string }[] {
  return pages.flatMap((page, ordinal) => {
    const decoded = DataPage.decode(page.image, layout, ordinal, 'test');
    return Array.from({ length: decoded.slotCount }, (_, i) => {
      const entry = decoded.entryAt(i, chains);
      return { key: Buffer.from(entry.key).toString('hex'), seq: entry.seq, kind: entry.kind, value: Buffer.from(entry.value).toString('hex') };
    });
  });
}

const modelOf = (records: readonly RawRecord[]): { key: string; seq: number; kind: number; value: string }[] =>
  records.map((r) => ({ key: Buffer.from(r.key).toString('hex'), seq: r.seq, kind: r.kind, value: Buffer.from(r.kind === EntryKind.Delete ? new Uint8Array(0) : r.value).toString('hex') }));

describe('compact data pages', () => {
  test('compact pages are the default for variable-width layouts', () => {
    expect(resolveLayout({}).compactPages).toBe(true);
    expect(resolveLayout({ pageSizeBytes: 1024, inlineKeyBytes: 0 }).compactPages).toBe(true);
    expect(resolveLayout({ legacyPages: true }).compactPages).toBe(false);
    expect(resolveLayout({ fixedWidth: { keySize: 4, valueSize: 4 } }).compactPages).toBe(false);
  });

  test('the plan is exact, and every slot reads back its record (keys, values, compare, search)', () => {
    // Goal: `PagePlan.bytesWith` is exactly the bytes the finished page uses, so `fits` never
    // overfills a page and wastes nothing; and whatever fields the plan chose, the reader
    // recovers every record and orders keys like a byte comparison.
    // Strategy: sorted record lists with shared stems, long and overflow keys and values,
    // uniform value runs, deletes and expiring puts, small, high and wide seqs; pages filled
    // as the table builder fills them, each decoded and checked slot by slot.
    fc.assert(
      fc.property(pageCaseArb, (c) => {
        const layout = resolveLayout({ pageSizeBytes: c.pageSizeBytes, inlineKeyBytes: c.inlineKeyBytes });
        expect(layout.compactPages).toBe(true);
        const chains = new FakeChains();
        const placed = place(c.records, layout);
        const pages = buildPages(placed, layout, chains, c.staleProbes);
        pages.forEach((page, ordinal) => checkBuiltPage(page, ordinal, layout, placed, c.probes, chains));
        expect(decodedEntries(pages, layout, chains)).toEqual(modelOf(c.records));
      }),
      { numRuns: 300, seed: 0xc0a1 },
    );
  });

  test('small cases: empty keys, uniform keys and values, puts only', () => {
    const layout = resolveLayout({ pageSizeBytes: 1024, inlineKeyBytes: 16 });
    const cases: RawRecord[][] = [
      [{ key: new Uint8Array(0), seq: 0, kind: EntryKind.Put, value: new Uint8Array(0), forceKeyOverflow: false, forceValueOverflow: false }],
      [
        { key: new Uint8Array(0), seq: SEQ_MAX, kind: EntryKind.Delete, value: new Uint8Array(0), forceKeyOverflow: false, forceValueOverflow: false },
        { key: new Uint8Array(0), seq: 0, kind: EntryKind.Put, value: text('v'), forceKeyOverflow: false, forceValueOverflow: false },
        { key: text('a'), seq: 7, kind: EntryKind.PutExpiring, value: patterned(8, 1), forceKeyOverflow: false, forceValueOverflow: false },
      ],
      Array.from({ length: 200 }, (_, i) => ({ key: text(`same-prefix/${String(i).padStart(4, '0')}`), seq: 1000 + i, kind: EntryKind.Put, value: patterned(4, i), forceKeyOverflow: false, forceValueOverflow: false })),
      Array.from({ length: 60 }, (_, i) => ({ key: concat(new Uint8Array(300).fill(0x61), text(String(i).padStart(3, '0'))), seq: i, kind: i % 5 === 0 ? EntryKind.Delete : EntryKind.Put, value: i % 5 === 0 ? new Uint8Array(0) : patterned(9, i), forceKeyOverflow: false, forceValueOverflow: false })),
    ];
    for (const records of cases) {
      const sorted = sortRecords(records);
      const chains = new FakeChains();
      const placed = place(sorted, layout);
      const pages = buildPages(placed, layout, chains);
      pages.forEach((page, ordinal) => checkBuiltPage(page, ordinal, layout, placed, [], chains));
      expect(decodedEntries(pages, layout, chains)).toEqual(modelOf(sorted));
    }
    // Puts of 16-byte keys sharing 'same-prefix/0' (page 0 holds 0000..0120), 4-byte values and
    // seqs within 255 of each other: no length fields, no key offset, no flags, values inline,
    // a 1-byte seq. That is 3 + 1 + 4 = 8 bytes a slot, (1024 - 36 - 13) / 8 = 121 slots.
    const chains = new FakeChains();
    const sorted = sortRecords(cases[2] as RawRecord[]);
    const [first] = buildPages(place(sorted, layout), layout, chains);
    const geometry = DataPage.decode((first as BuiltPage).image, layout, 0, 'test').geometry;
    expect(geometry).toMatchObject({ prefixLength: 13, keyLengthWidth: 0, uniformSuffixLength: 3, keyOffsetPresent: false, flagsPresent: false, valuesInline: true, seqWidth: 1, slotWidth: 8 });
    expect((first as BuiltPage).records).toHaveLength(121);
  });

  test('a page object reused for an image that fails its checks keeps the page it held', () => {
    const layout = resolveLayout({ pageSizeBytes: 1024, inlineKeyBytes: 16 });
    const records = Array.from({ length: 200 }, (_, i) => ({ key: text(`reuse/${String(i).padStart(3, '0')}`), seq: 10 + i, kind: i % 9 === 0 ? EntryKind.Delete : EntryKind.Put, value: patterned(12 + (i % 3), i), forceKeyOverflow: false, forceValueOverflow: false }));
    const chains = new FakeChains();
    const [first, second] = buildPages(place(sortRecords(records), layout), layout, chains);
    const held = DataPage.decode((first as BuiltPage).image, layout, 0, 'test');
    const before = decodedEntries([first as BuiltPage], layout, chains);
    const corrupt = (second as BuiltPage).image.slice();
    corrupt[corrupt.length - 1] = (corrupt[corrupt.length - 1] as number) ^ 1;
    expect(() => DataPage.decode(corrupt, layout, 1, 'test', held)).toThrow(expect.objectContaining({ code: 'CORRUPTION' }));
    expect(held.ordinal).toBe(0);
    expect(held.bytes).toBe((first as BuiltPage).image);
    const entriesOf = (page: DataPage): ReturnType<typeof decodedEntries> =>
      Array.from({ length: page.slotCount }, (_, i) => page.entryAt(i, chains)).map((entry) => ({ key: Buffer.from(entry.key).toString('hex'), seq: entry.seq, kind: entry.kind, value: Buffer.from(entry.value).toString('hex') }));
    expect(entriesOf(held)).toEqual(before);
    // A good image turns the same object into the other page, whose geometry differs.
    expect(DataPage.decode((second as BuiltPage).image, layout, 1, 'test', held)).toBe(held);
    expect(held.ordinal).toBe(1);
    expect(entriesOf(held)).toEqual(decodedEntries([first as BuiltPage, second as BuiltPage], layout, chains).slice(before.length));
  });

  test('legacy geometry: compactPages is false and the same records read back identically', () => {
    fc.assert(
      fc.property(pageCaseArb, (c) => {
        const compact = resolveLayout({ pageSizeBytes: c.pageSizeBytes, inlineKeyBytes: c.inlineKeyBytes });
        const legacy = resolveLayout({ pageSizeBytes: c.pageSizeBytes, inlineKeyBytes: c.inlineKeyBytes, legacyPages: true });
        expect(legacy.compactPages).toBe(false);
        const read = (layout: TableLayout): ReturnType<typeof decodedEntries> => {
          const chains = new FakeChains();
          const placed = place(c.records, layout);
          const pages = buildPages(placed, layout, chains, c.staleProbes);
          pages.forEach((page, ordinal) => checkBuiltPage(page, ordinal, layout, placed, c.probes, chains));
          return decodedEntries(pages, layout, chains);
        };
        const fromLegacy = read(legacy);
        expect(fromLegacy).toEqual(read(compact));
        expect(fromLegacy).toEqual(modelOf(c.records));
      }),
      { numRuns: 100, seed: 0x1e6a },
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Forged data pages: a flipped byte with a re-sealed checksum.

function forgeryEntries(): ModelEntry[] {
  const entries: ModelEntry[] = [];
  const put = (key: Uint8Array, seq: number, value: Uint8Array, kind: EntryKind = EntryKind.Put): void => {
    entries.push({ key, seq, kind, value: kind === EntryKind.Delete ? new Uint8Array(0) : value });
  };
  // Page 0: a run with uniform keys and values and one delete (inline values and a flags byte).
  for (let i = 0; i < 120; i++) put(text(`a/run/${String(i).padStart(3, '0')}`), 500 + i, patterned(4, i), i === 60 ? EntryKind.Delete : EntryKind.Put);
  // Page 1: shared prefixes, a long value in overflow, long keys, deletes, an expiring put.
  put(text('acct/'), 9, text('root'));
  put(text('acct/0001/balance'), 40, patterned(8, 1));
  put(text('acct/0001/balance'), 30, new Uint8Array(0), EntryKind.Delete);
  put(text('acct/0001/balance'), 20, patterned(8, 2));
  put(text('acct/0001/history-with-a-long-key-name/2024'), 21, patterned(1500, 3));
  put(text('acct/0001/owner'), 22, patterned(8, 4), EntryKind.PutExpiring);
  for (let i = 0; i < 30; i++) put(text(`acct/0002/txn/${String(i).padStart(5, '0')}`), 100 + i, patterned(8, 10 + i));
  for (let i = 0; i < 12; i++) put(text(`acct/0003/long-key-over-sixteen-bytes/${'x'.repeat(i * 5)}`), 2 ** 40 + i, patterned(i * 11, i), i % 4 === 0 ? EntryKind.Delete : EntryKind.Put);
  for (let i = 0; i < 25; i++) put(text(`b/${String(i).padStart(2, '0')}`), Number.MAX_SAFE_INTEGER - i, patterned(16, 99 + i));
  put(text('c'), 1, patterned(3000, 7));
  put(concat(text('d/'), new Uint8Array(1100).fill(0x64)), 5, text('big key'));
  return entries.sort((a, b) => compareKeys(a.key, b.key) || b.seq - a.seq);
}

/** Runs `step`; a CORRUPTION KvError is allowed (returns true), anything else propagates. */
function allowCorruption(step: () => unknown): boolean {
  try {
    step();
    return false;
  } catch (error) {
    if (isKvError(error, 'CORRUPTION')) return true;
    throw error;
  }
}

async function allowCorruptionAsync(step: () => Promise<unknown>): Promise<boolean> {
  try {
    await step();
    return false;
  } catch (error) {
    if (isKvError(error, 'CORRUPTION')) return true;
    throw error;
  }
}

/** Finds data pages 0 and 1 in an uncompressed file (pages are aligned; overflow pages interleave). */
function dataPageStarts(bytes: Uint8Array, pageSize: number): number[] {
  const layout = resolveLayout({ pageSizeBytes: pageSize });
  const starts: number[] = [];
  for (let start = 0; start + pageSize <= bytes.length && starts.length < 2; start += pageSize) {
    const image = bytes.subarray(start, start + pageSize);
    if (image[4] !== PageKind.Data) continue;
    if (codeOf(() => DataPage.decode(image, layout, starts.length, 'scan')) === undefined) starts.push(start);
  }
  return starts;
}

const CORRUPT_CHAIN: OverflowSource = {
  readOverflow(): Uint8Array {
    throw new CorruptionError('forged', 'no overflow here');
  },
};

describe('forged compact pages', () => {
  test('a byte flipped in data page 0 or 1 and re-sealed gives answers or CORRUPTION, never another error', async () => {
    // Goal: once a page's checksum passes, the descriptor and slot checks guard every access:
    // no TypeError, RangeError, AssertionError or other non-CORRUPTION error, whatever byte of
    // the page was forged. Wrong answers are allowed (the checksum was forged too).
    const pageSize = 1024;
    const entries = forgeryEntries();
    const { vfs } = await buildTable(entries, { pageSizeBytes: pageSize });
    const bytes = await vfs.readFile(TABLE_PATH);
    const starts = dataPageStarts(bytes, pageSize);
    expect(starts).toHaveLength(2);
    const layout = resolveLayout({ pageSizeBytes: pageSize });
    // The pages under attack: a uniform run (shared prefix, uniform keys, inline values), then a
    // mixed page (length fields, key heap, an overflow value, deletes).
    const page0 = DataPage.decode(bytes.slice(starts[0], (starts[0] as number) + pageSize), layout, 0, 'page 0');
    expect(page0.geometry).toMatchObject({ prefixLength: 6, keyLengthWidth: 0, valuesInline: true, flagsPresent: true });
    const page1 = DataPage.decode(bytes.slice(starts[1], (starts[1] as number) + pageSize), layout, 1, 'page 1');
    expect(page1.geometry).toMatchObject({ keyLengthWidth: 1, keyOffsetPresent: true, flagsPresent: true, valuesInline: false });
    expect(page1.geometry.prefixLength).toBeGreaterThan(0);
    expect(page1.overflowRefs().length).toBeGreaterThan(0);
    expect(Array.from({ length: page1.slotCount }, (_, i) => page1.kindOf(i))).toContain(EntryKind.Delete);

    // Offsets anywhere in the page (after the checksum), or in its header, descriptor and slots;
    // any mask, or a single bit.
    const pages = [page0, page1];
    const forgeryArb = fc.nat(1).chain((which) => {
      const g = (pages[which] as DataPage).geometry;
      const slotsEnd = g.slotBase + (pages[which] as DataPage).slotCount * g.slotWidth - 1;
      return fc.record({
        which: fc.constant(which),
        offset: fc.oneof(
          { weight: 3, arbitrary: fc.integer({ min: 4, max: pageSize - 1 }) },
          { weight: 1, arbitrary: fc.integer({ min: 4, max: PAGE_HEADER_BYTES + DESCRIPTOR_BYTES - 1 }) },
          { weight: 3, arbitrary: fc.integer({ min: g.slotBase, max: slotsEnd }) },
        ),
        mask: fc.oneof(fc.integer({ min: 1, max: 255 }), fc.integer({ min: 0, max: 7 }).map((bit) => 1 << bit)),
        withCache: fc.boolean(),
      });
    });
    const outcomes = { corruption: 0, clean: 0 };
    await fc.assert(
      fc.asyncProperty(forgeryArb, async ({ which, offset, mask, withCache }) => {
        const start = starts[which] as number;
        const forged = flipByte(bytes, start + offset, mask);
        fixChecksum(forged, start, pageSize);
        let sawCorruption = false;
        const note = (corrupt: boolean): void => {
          sawCorruption ||= corrupt;
        };

        // The page alone, every accessor.
        const image = forged.slice(start, start + pageSize);
        let page: DataPage | undefined;
        note(allowCorruption(() => (page = DataPage.decode(image, layout, which, 'forged'))));
        const decoded = page as DataPage | undefined;
        if (decoded !== undefined) {
          for (let i = 0; i < decoded.slotCount; i++) {
            note(allowCorruption(() => [decoded.seqOf(i), decoded.kindOf(i), decoded.entryAt(i, CORRUPT_CHAIN)]));
            // Whatever the forged fields say, a decoded page's reads stay inside the page: a
            // key or value read from it has the length its slot declares.
            const slot = decoded.slotOffset(i);
            note(allowCorruption(() => expect(decoded.keyOf(i, CORRUPT_CHAIN).length).toBe(decoded.geometry.prefixLength + decoded.suffixLengthAt(slot))));
            note(allowCorruption(() => expect(decoded.valueOf(i, CORRUPT_CHAIN).length).toBe(decoded.kindOf(i) === EntryKind.Delete ? 0 : decoded.valueLengthOf(slot))));
            for (const entry of entries) note(allowCorruption(() => decoded.compareKey(i, entry.key, CORRUPT_CHAIN)));
          }
          for (const entry of entries) note(allowCorruption(() => [decoded.search(entry.key, entry.seq, true, CORRUPT_CHAIN), decoded.search(entry.key, 0, false, CORRUPT_CHAIN)]));
          // Every reference a decoded page reports lies inside the page (verify reads it).
          for (const ref of decoded.overflowRefs()) {
            expect(ref.refOffset, 'overflow reference starts after the header').toBeGreaterThanOrEqual(PAGE_HEADER_BYTES);
            expect(ref.refOffset + 12, 'overflow reference ends inside the page').toBeLessThanOrEqual(pageSize);
          }
        }

        // The whole table.
        await replaceFile(vfs, forged);
        let reader: Awaited<ReturnType<typeof openTable>> | undefined;
        note(await allowCorruptionAsync(async () => (reader = await openTable(vfs, withCache ? new BlockCache({ capacityBytes: 1 << 20 }) : undefined))));
        const open = reader as Awaited<ReturnType<typeof openTable>> | undefined;
        if (open !== undefined) {
          for (const entry of entries) {
            note(allowCorruption(() => open.get(entry.key, toSeqNum(entry.seq))));
            note(allowCorruption(() => open.get(entry.key, toSeqNum(SEQ_MAX))));
          }
          note(allowCorruption(() => collectForward(open.iterator())));
          note(allowCorruption(() => collectBackward(open.iterator())));
          for (const entry of entries.filter((_, j) => j % 9 === 0)) {
            note(
              allowCorruption(() => {
                const it = open.iterator();
                it.seek(entry.key, toSeqNum(entry.seq));
                for (let k = 0; k < 3 && it.valid; k++) it.next();
                it.seekForPrev(entry.key, toSeqNum(entry.seq));
                for (let k = 0; k < 3 && it.valid; k++) it.prev();
              }),
            );
          }
          note(await allowCorruptionAsync(() => open.verify()));
          await open.close();
        }
        outcomes[sawCorruption ? 'corruption' : 'clean']++;
      }),
      { numRuns: 800, seed: 0xf0e9 },
    );
    // The forgeries were detected often (and some flips landed in bytes no read depends on).
    expect(outcomes.corruption).toBeGreaterThan(50);
  });

  test('a value-overflow flag forged onto an inline value is CORRUPTION or ignored, never a RangeError', async () => {
    // A compact page with inline values and a flags byte (uniform values and a delete). The
    // writer never sets SLOT_FLAG_VALUE_OVERFLOW on such a page; forged, the inline value bytes
    // must not be taken for a heap offset (0xffff lies past a 1 KiB page).
    const entries: ModelEntry[] = [
      { key: text('k1'), seq: 2, kind: EntryKind.Put, value: new Uint8Array([0xff, 0xff, 0xff, 0xff]) },
      { key: text('k2'), seq: 1, kind: EntryKind.Delete, value: new Uint8Array(0) },
    ];
    const { vfs } = await buildTable(entries, { pageSizeBytes: 1024 });
    const bytes = await vfs.readFile(TABLE_PATH);
    const layout = resolveLayout({ pageSizeBytes: 1024 });
    const page = DataPage.decode(bytes.slice(0, 1024), layout, 0, 'page 0');
    expect(page.geometry).toMatchObject({ valuesInline: true, flagsPresent: true, uniformValueLength: 4 });
    const forged = flipByte(bytes, page.slotOffset(0) + page.geometry.flagsAt, SLOT_FLAG_VALUE_OVERFLOW);
    fixChecksum(forged, 0, 1024);
    await replaceFile(vfs, forged);
    let reader: Awaited<ReturnType<typeof openTable>> | undefined;
    await allowCorruptionAsync(async () => (reader = await openTable(vfs)));
    const open = reader as Awaited<ReturnType<typeof openTable>> | undefined;
    if (open !== undefined) {
      allowCorruption(() => open.get(text('k1'), toSeqNum(9)));
      allowCorruption(() => collectForward(open.iterator()));
      await allowCorruptionAsync(() => open.verify());
      await open.close();
    }
    let decoded: DataPage | undefined;
    allowCorruption(() => (decoded = DataPage.decode(forged.slice(0, 1024), layout, 0, 'forged')));
    for (const ref of (decoded as DataPage | undefined)?.overflowRefs() ?? []) expect(ref.refOffset + 12, 'overflow reference ends inside the page').toBeLessThanOrEqual(1024);
  });
});

describe('slot checks a compact page can skip', () => {
  test('when no slot can be wrong, every byte pattern of the slots passes the full slot pass', () => {
    // Goal: `checkSlots` skips the per-slot pass for pages whose descriptor leaves no field
    // that can be out of range; the skip must never let a bad slot through.
    // Strategy: valid descriptor fields forced into that shape (no flags byte, inline values,
    // one key length within the inline width, a seq field too narrow to pass 2^53 - 1), slots
    // filled with random bytes on a 64 KiB page, then the pass the skip replaces.
    // Invariants: `slotsCanBeWrong` is false and `checkEverySlot` throws nothing.
    const layout = resolveLayout({ pageSizeBytes: 65_536 });
    const regularArb = fc.tuple(validFieldsArb, fc.nat(), fc.integer({ min: 1, max: 40 })).map(([fields, seed, count]) => {
      const seqWidth = Math.min(fields.seqWidth, 6);
      const regular: SlotFields = {
        ...fields,
        prefixLength: Math.min(fields.prefixLength, 300),
        keyLengthWidth: 0,
        keyOffsetPresent: false,
        uniformSuffixLength: Math.min(fields.uniformSuffixLength, fields.suffixWidth),
        flagsPresent: false,
        valuesInline: true,
        valueLengthWidth: 0,
        uniformValueLength: Math.min(fields.uniformValueLength, 1000),
        seqWidth,
        seqBase: Math.min(fields.seqBase, SEQ_MAX - (256 ** seqWidth - 1)),
      };
      return { regular, seed, count };
    });
    fc.assert(
      fc.property(regularArb, ({ regular, seed, count }) => {
        const geometry = resolveGeometry(regular, true);
        expect(slotsCanBeWrong(geometry)).toBe(false);
        const image = new Uint8Array(65_536);
        const slotCount = Math.max(1, Math.min(count, Math.floor((image.length - geometry.slotBase) / Math.max(1, geometry.slotWidth))));
        image.set(patterned(slotCount * geometry.slotWidth, seed), geometry.slotBase);
        expect(() => checkEverySlot(image, { layout, geometry, slotCount, heapBytes: 0 }, 'test')).not.toThrow();
      }),
      { numRuns: 300, seed: 0x5c1d },
    );
  });

  test('a version 1 page and a compact page with a flags byte or heap values always get the slot pass', () => {
    expect(slotsCanBeWrong(layoutGeometry(resolveLayout({ legacyPages: true })))).toBe(true);
    expect(slotsCanBeWrong(layoutGeometry(resolveLayout({ fixedWidth: { keySize: 8, valueSize: 8 } })))).toBe(true);
    const regular: SlotFields = {
      prefixLength: 4,
      suffixWidth: 4,
      keyLengthWidth: 0,
      uniformSuffixLength: 4,
      keyOffsetPresent: false,
      seqWidth: 2,
      seqBase: 10,
      flagsPresent: false,
      valuesInline: true,
      valueLengthWidth: 0,
      uniformValueLength: 8,
    };
    expect(slotsCanBeWrong(resolveGeometry(regular, true))).toBe(false);
    for (const changed of [{ flagsPresent: true }, { valuesInline: false }, { keyLengthWidth: 1, uniformSuffixLength: 0 }, { keyOffsetPresent: true }, { uniformSuffixLength: 5 }, { seqWidth: 7 }, { seqBase: SEQ_MAX }]) {
      expect(slotsCanBeWrong(resolveGeometry({ ...regular, ...changed }, true)), JSON.stringify(changed)).toBe(true);
    }
  });
});
