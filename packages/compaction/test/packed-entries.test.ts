import { EntryKind, EntryPacker, KvError, toSeqNum } from '@kv/base';
import type { InternalEntry, PackedEntries } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkPackedEntries, packedEntryAt, transferListOf } from '../src/index.js';

const SEQ_MAX = Number.MAX_SAFE_INTEGER;
const KINDS = [EntryKind.Delete, EntryKind.Put, EntryKind.PutExpiring] as const;

/** Where one key or value lies: in which source buffer (modulo their count), from where, how long (clamped to the buffer). */
const viewArbitrary = fc.record({ buffer: fc.nat(), start: fc.nat(), length: fc.nat() });

/**
 * A run as it is handed to the packer: source buffers (some plain, some shared, some empty),
 * and entries whose keys and values are views of them (often with a non-zero byteOffset and
 * sharing a buffer with other entries), fresh standalone arrays, or empty values.
 */
const runArbitrary = fc.record({
  sources: fc.array(fc.record({ bytes: fc.uint8Array({ maxLength: 64 }), shared: fc.boolean() }), { minLength: 1, maxLength: 5 }),
  entries: fc.array(
    fc.record({
      key: viewArbitrary,
      value: viewArbitrary,
      valueMode: fc.constantFrom('view', 'view', 'empty', 'fresh', 'empty-view'),
      freshValue: fc.uint8Array({ maxLength: 8 }),
      seq: fc.oneof(fc.maxSafeNat(), fc.constantFrom(0, 1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 2, SEQ_MAX)),
      kind: fc.constantFrom(...KINDS),
    }),
    { maxLength: 60 },
  ),
});

type RunSpec = typeof runArbitrary extends fc.Arbitrary<infer T> ? T : never;

interface Run {
  sources: ArrayBufferLike[];
  entries: InternalEntry[];
}

function bufferFrom(bytes: Uint8Array, shared: boolean): ArrayBufferLike {
  const buffer = shared ? new SharedArrayBuffer(bytes.length) : new ArrayBuffer(bytes.length);
  new Uint8Array(buffer).set(bytes);
  return buffer;
}

function viewOf(sources: readonly ArrayBufferLike[], spec: { buffer: number; start: number; length: number }): Uint8Array {
  const buffer = sources[spec.buffer % sources.length] as ArrayBufferLike;
  const start = spec.start % (buffer.byteLength + 1);
  const length = spec.length % (buffer.byteLength - start + 1);
  return new Uint8Array(buffer, start, length);
}

function materialize(spec: RunSpec): Run {
  const sources = spec.sources.map((source) => bufferFrom(source.bytes, source.shared));
  const entries = spec.entries.map((item): InternalEntry => {
    const key = viewOf(sources, item.key);
    let value: Uint8Array;
    if (item.valueMode === 'view') value = viewOf(sources, item.value);
    else if (item.valueMode === 'empty') value = new Uint8Array(0);
    else if (item.valueMode === 'fresh') value = item.freshValue.slice();
    else value = viewOf(sources, { ...item.value, length: 0 });
    return { key, seq: toSeqNum(item.seq), kind: item.kind, value };
  });
  return { sources, entries };
}

function pack(entries: readonly InternalEntry[], expectedEntries = entries.length): PackedEntries {
  const packer = new EntryPacker(expectedEntries);
  for (const entry of entries) packer.add(entry);
  return packer.entries();
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('hex');
}

/** Entry `i` as plain data (copies of the bytes), for comparing runs that live in different buffers. */
function describeEntry(entry: InternalEntry): string {
  return `${hex(entry.key)}@${entry.seq}/${entry.kind}=${hex(entry.value)}`;
}

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(KvError);
    return (error as KvError).code;
  }
  return undefined;
}

/** Expects `packed` to hold exactly `entries`, each key and value referencing the very same buffer region. */
function expectSameRun(packed: PackedEntries, entries: readonly InternalEntry[]): void {
  expect(packed.count).toBe(entries.length);
  expect(packed.seqs.length).toBe(entries.length);
  expect(packed.kinds.length).toBe(entries.length);
  expect(packed.refs.length).toBe(6 * entries.length);
  expect(new Set(packed.buffers).size).toBe(packed.buffers.length);
  const used = new Set<ArrayBufferLike>(entries.flatMap((entry) => [entry.key.buffer, entry.value.buffer]));
  expect(packed.buffers.length).toBe(used.size);
  for (const buffer of packed.buffers) expect(used.has(buffer)).toBe(true);
  expect(() => checkPackedEntries(packed)).not.toThrow();
  // Read into a new object and into one slot rewritten at every step: the same entries.
  const slot = { key: new Uint8Array(0), seq: toSeqNum(0), kind: EntryKind.Put, value: new Uint8Array(0) };
  entries.forEach((entry, i) => {
    const back = packedEntryAt(packed, i);
    expect(packedEntryAt(packed, i, slot)).toBe(slot);
    expect(slot).toEqual(back);
    expect(back.seq).toBe(entry.seq);
    expect(back.kind).toBe(entry.kind);
    for (const [got, want] of [[back.key, entry.key], [back.value, entry.value]] as const) {
      expect(got.buffer).toBe(want.buffer);
      expect(got.byteOffset).toBe(want.byteOffset);
      expect(got.length).toBe(want.length);
    }
  });
}

describe('EntryPacker and packedEntryAt', () => {
  it('round-trips every entry by reference: same buffers, offsets, lengths, seqs and kinds', () => {
    // Goal: packing records where each key and value lies without copying, and reading back
    // gives the same views. Strategy: keys and values are views into a few plain and shared
    // buffers (non-zero offsets, empty views, several entries per buffer), fresh arrays and
    // empty values; seqs span 0..2^53-1; every kind. Invariants: exact lengths after finish,
    // each buffer listed once, and every entry's views are the originals' regions.
    fc.assert(
      fc.property(runArbitrary, (spec) => {
        const run = materialize(spec);
        expectSameRun(pack(run.entries), run.entries);
      }),
      { numRuns: 300 },
    );
  });

  it('grows past the expected count (0, 1 or 2) without losing entries', () => {
    fc.assert(
      fc.property(runArbitrary, fc.constantFrom(0, 1, 2), fc.integer({ min: 1, max: 8 }), (spec, expected, repeat) => {
        const run = materialize(spec);
        // Many adds: the generated entries several times over (seqs shifted to stay distinct is not needed for packing).
        const entries = Array.from({ length: repeat }, () => run.entries).flat();
        expectSameRun(pack(entries, expected), entries);
      }),
      { numRuns: 150 },
    );
  });

  it('refuses an expected count that is not a non-negative integer with INVALID_ARGUMENT (regression: NaN lost every entry)', () => {
    for (const expected of [Number.NaN, 0.5, -4, Number.POSITIVE_INFINITY, 2 ** 53]) {
      expect(() => new EntryPacker(expected)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT' }));
    }
    // A huge estimate (a recovery memtable of tiny deletes) is capped, not refused.
    const packer = new EntryPacker(1e12);
    packer.add({ key: new Uint8Array([1]), seq: toSeqNum(1), kind: EntryKind.Put, value: new Uint8Array([2]) });
    expect(packer.entries().count).toBe(1);
  });

  it('packs a thousand entries from an estimate of zero', () => {
    const payload = new Uint8Array(4096).map((_, i) => i * 7);
    const empty = new Uint8Array(0);
    const entries = Array.from({ length: 1000 }, (_, i): InternalEntry => ({
      key: payload.subarray(i, i + 3),
      seq: toSeqNum(SEQ_MAX - i),
      kind: KINDS[i % 3] as EntryKind,
      value: i % 4 === 0 ? empty : payload.subarray(2000 + i, 2000 + i + (i % 50)),
    }));
    const packed = pack(entries, 0);
    expectSameRun(packed, entries);
    expect(packed.buffers.length).toBe(2);
  });

  it('refers to the bytes rather than copying them', () => {
    const payload = new Uint8Array([1, 2, 3, 4, 5, 6]);
    const packed = pack([{ key: payload.subarray(1, 3), seq: toSeqNum(5), kind: EntryKind.Put, value: payload.subarray(3) }]);
    payload[1] = 99;
    payload[5] = 42;
    const entry = packedEntryAt(packed, 0);
    expect([...entry.key]).toEqual([99, 3]);
    expect([...entry.value]).toEqual([4, 5, 42]);
  });
});

describe('posting a packed run (structuredClone with transferListOf)', () => {
  it('round-trips, detaching only the run’s own arrays and never the key and value buffers', () => {
    // Goal: what a worker receives is the same run, and the sender's keys and values stay
    // usable. Strategy: clone with the transfer list, as postMessage would. Invariants: the
    // transfer list is the three arrays' buffers and none of the key/value buffers; after the
    // clone the sender's arrays are detached (length 0), its buffers keep their bytes; the
    // clone checks out and holds the same entries in fresh buffers.
    fc.assert(
      fc.property(runArbitrary, fc.constantFrom(0, 1, 3, 100), (spec, expected) => {
        const run = materialize(spec);
        const packed = pack(run.entries, expected);
        const before = run.entries.map(describeEntry);
        const sourceBytes = packed.buffers.map((buffer) => hex(new Uint8Array(buffer)));
        const transfer = transferListOf(packed);
        expect(new Set(transfer)).toEqual(new Set([packed.seqs.buffer, packed.kinds.buffer, packed.refs.buffer]));
        expect(transfer).toHaveLength(3);
        for (const buffer of transfer) expect(packed.buffers.includes(buffer)).toBe(false);

        const clone = structuredClone(packed, { transfer });

        for (const array of [packed.seqs, packed.kinds, packed.refs]) {
          expect(array.length).toBe(0);
          expect(array.buffer.byteLength).toBe(0);
        }
        expect(packed.buffers.map((buffer) => hex(new Uint8Array(buffer)))).toEqual(sourceBytes);
        expect(run.entries.map(describeEntry)).toEqual(before);

        expect(clone.count).toBe(run.entries.length);
        expect(clone.buffers).toHaveLength(packed.buffers.length);
        clone.buffers.forEach((buffer, i) => {
          if (!(buffer instanceof SharedArrayBuffer)) expect(buffer).not.toBe(packed.buffers[i]);
          expect(hex(new Uint8Array(buffer))).toBe(sourceBytes[i]);
        });
        expect(() => checkPackedEntries(clone)).not.toThrow();
        expect(Array.from({ length: clone.count }, (_, i) => describeEntry(packedEntryAt(clone, i)))).toEqual(before);
      }),
      { numRuns: 200 },
    );
  });

  it('leaves out of the transfer list any array buffer that also holds keys or values, and shared buffers', () => {
    // A hand-made run whose seqs live in the same buffer as its keys: transferring it would
    // detach the keys on the sending side.
    const storage = new ArrayBuffer(64);
    const seqs = new Float64Array(storage, 0, 2);
    seqs.set([9, 3]);
    const shared = new SharedArrayBuffer(8);
    const packed: PackedEntries = {
      count: 2,
      seqs,
      kinds: new Uint8Array(shared, 0, 2).fill(EntryKind.Put),
      refs: new Uint32Array([0, 16, 4, 0, 20, 4, 0, 24, 4, 0, 28, 0]),
      buffers: [storage],
    };
    checkPackedEntries(packed);
    const transfer = transferListOf(packed);
    expect(transfer).toEqual([packed.refs.buffer]);
    const clone = structuredClone(packed, { transfer });
    expect(storage.byteLength).toBe(64);
    expect(packed.seqs.length).toBe(2);
    expect(packed.refs.length).toBe(0);
    expect([...clone.seqs]).toEqual([9, 3]);
  });
});

type Malformation =
  | 'count-negative' | 'count-fraction' | 'count-nan' | 'count-infinite' | 'count-unsafe' | 'count-past-arrays'
  | 'seqs-short' | 'kinds-short' | 'refs-short'
  | 'seqs-float32' | 'seqs-plain-array' | 'seqs-bigint' | 'kinds-int8' | 'kinds-clamped' | 'kinds-plain-array' | 'refs-int32' | 'refs-float64' | 'buffers-not-array'
  | 'key-buffer-index' | 'value-buffer-index' | 'key-buffer-index-max'
  | 'key-offset-past' | 'key-length-past' | 'value-offset-past' | 'value-length-past' | 'key-both-max' | 'value-both-max'
  | 'seq-fraction' | 'seq-negative' | 'seq-nan' | 'seq-infinite' | 'seq-unsafe'
  | 'buffer-typed-array' | 'buffer-object' | 'buffer-null' | 'buffer-number' | 'buffer-dataview';

const MALFORMATIONS: readonly Malformation[] = [
  'count-negative', 'count-fraction', 'count-nan', 'count-infinite', 'count-unsafe', 'count-past-arrays',
  'seqs-short', 'kinds-short', 'refs-short',
  'seqs-float32', 'seqs-plain-array', 'seqs-bigint', 'kinds-int8', 'kinds-clamped', 'kinds-plain-array', 'refs-int32', 'refs-float64', 'buffers-not-array',
  'key-buffer-index', 'value-buffer-index', 'key-buffer-index-max',
  'key-offset-past', 'key-length-past', 'value-offset-past', 'value-length-past', 'key-both-max', 'value-both-max',
  'seq-fraction', 'seq-negative', 'seq-nan', 'seq-infinite', 'seq-unsafe',
  'buffer-typed-array', 'buffer-object', 'buffer-null', 'buffer-number', 'buffer-dataview',
];

/** A copy of `packed` (own arrays) with one thing wrong about entry `i` or about the whole run. */
function malform(packed: PackedEntries, what: Malformation, i: number): PackedEntries {
  const run: PackedEntries = { count: packed.count, seqs: packed.seqs.slice(), kinds: packed.kinds.slice(), refs: packed.refs.slice(), buffers: [...packed.buffers] };
  const loose = run as unknown as Record<string, unknown>;
  const at = 6 * i;
  const sizeOf = (index: number): number => (run.buffers[run.refs[index] as number] as ArrayBufferLike).byteLength;
  const n = run.count;
  switch (what) {
    case 'count-negative': run.count = -1; break;
    case 'count-fraction': run.count = n - 0.5; break;
    case 'count-nan': run.count = Number.NaN; break;
    case 'count-infinite': run.count = Number.POSITIVE_INFINITY; break;
    case 'count-unsafe': run.count = 2 ** 53; break;
    case 'count-past-arrays': run.count = n + 1; break;
    case 'seqs-short': run.seqs = run.seqs.subarray(0, n - 1); break;
    case 'kinds-short': run.kinds = run.kinds.subarray(0, n - 1); break;
    case 'refs-short': run.refs = run.refs.subarray(0, 6 * n - 1); break;
    case 'seqs-float32': loose.seqs = new Float32Array(run.seqs); break;
    case 'seqs-plain-array': loose.seqs = [...run.seqs]; break;
    case 'seqs-bigint': loose.seqs = BigInt64Array.from(run.seqs, (seq) => BigInt(seq)); break;
    case 'kinds-int8': loose.kinds = new Int8Array(run.kinds); break;
    case 'kinds-clamped': loose.kinds = new Uint8ClampedArray(run.kinds); break;
    case 'kinds-plain-array': loose.kinds = [...run.kinds]; break;
    case 'refs-int32': loose.refs = new Int32Array(run.refs); break;
    case 'refs-float64': loose.refs = new Float64Array(run.refs); break;
    case 'buffers-not-array': loose.buffers = new Set(run.buffers); break;
    case 'key-buffer-index': run.refs[at] = run.buffers.length; break;
    case 'value-buffer-index': run.refs[at + 3] = run.buffers.length; break;
    case 'key-buffer-index-max': run.refs[at] = 0xffff_ffff; break;
    case 'key-offset-past': run.refs[at + 1] = sizeOf(at) - (run.refs[at + 2] as number) + 1; break;
    case 'key-length-past': run.refs[at + 2] = sizeOf(at) - (run.refs[at + 1] as number) + 1; break;
    case 'value-offset-past': run.refs[at + 4] = sizeOf(at + 3) - (run.refs[at + 5] as number) + 1; break;
    case 'value-length-past': run.refs[at + 5] = sizeOf(at + 3) - (run.refs[at + 4] as number) + 1; break;
    case 'key-both-max': run.refs[at + 1] = 0xffff_ffff; run.refs[at + 2] = 0xffff_ffff; break;
    case 'value-both-max': run.refs[at + 4] = 0xffff_ffff; run.refs[at + 5] = 1; break;
    case 'seq-fraction': run.seqs[i] = 2.5; break;
    case 'seq-negative': run.seqs[i] = -1; break;
    case 'seq-nan': run.seqs[i] = Number.NaN; break;
    case 'seq-infinite': run.seqs[i] = Number.POSITIVE_INFINITY; break;
    case 'seq-unsafe': run.seqs[i] = 2 ** 53; break;
    case 'buffer-typed-array': run.buffers[i % run.buffers.length] = new Uint8Array(run.buffers[i % run.buffers.length] as ArrayBufferLike) as unknown as ArrayBufferLike; break;
    case 'buffer-object': run.buffers.push({ byteLength: 10 } as unknown as ArrayBufferLike); break;
    case 'buffer-null': run.buffers.push(null as unknown as ArrayBufferLike); break;
    case 'buffer-number': run.buffers.push(7 as unknown as ArrayBufferLike); break;
    case 'buffer-dataview': run.buffers.push(new DataView(new ArrayBuffer(4)) as unknown as ArrayBufferLike); break;
  }
  return run;
}

describe('checkPackedEntries', () => {
  it('accepts well-formed runs, including an empty one and references ending exactly at a buffer’s end', () => {
    expect(() => checkPackedEntries(pack([]))).not.toThrow();
    const buffer = new ArrayBuffer(4);
    expect(() => checkPackedEntries({ count: 1, seqs: new Float64Array([SEQ_MAX]), kinds: new Uint8Array([1]), refs: new Uint32Array([0, 0, 4, 0, 4, 0]), buffers: [buffer] })).not.toThrow();
    // Arrays longer than count are fine (only the first count entries are read).
    expect(() => checkPackedEntries({ count: 0, seqs: new Float64Array([-1]), kinds: new Uint8Array(1), refs: new Uint32Array(6).fill(9), buffers: [] })).not.toThrow();
  });

  it('rejects each malformation with INVALID_ARGUMENT', () => {
    // Goal: a run that would make a consumer read outside its buffers or misread seqs never
    // gets past the check. Strategy: a random valid, non-empty run, then exactly one thing
    // broken (count, array lengths or types, a buffer index, an offset or length, a seq, a
    // buffers entry), at a random entry. Invariant: the intact run passes, the broken one
    // throws a KvError with code INVALID_ARGUMENT (never a RangeError or a wrong answer).
    const nonEmpty = runArbitrary.filter((spec) => spec.entries.length > 0);
    fc.assert(
      fc.property(nonEmpty, fc.constantFrom(...MALFORMATIONS), fc.nat(), (spec, what, pick) => {
        const run = materialize(spec);
        const packed = pack(run.entries);
        expect(codeOf(() => checkPackedEntries(packed))).toBeUndefined();
        const bad = malform(packed, what, pick % packed.count);
        expect(codeOf(() => checkPackedEntries(bad)), what).toBe('INVALID_ARGUMENT');
      }),
      { numRuns: 600 },
    );
  });

  it('rejects every malformation at least once (one example each)', () => {
    const payload = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]);
    const entries: InternalEntry[] = [
      { key: payload.subarray(0, 2), seq: toSeqNum(3), kind: EntryKind.Put, value: payload.subarray(2, 5) },
      { key: payload.subarray(5, 6), seq: toSeqNum(2), kind: EntryKind.Delete, value: new Uint8Array(0) },
    ];
    for (const what of MALFORMATIONS) {
      for (const i of [0, 1]) expect(codeOf(() => checkPackedEntries(malform(pack(entries), what, i))), `${what} at ${i}`).toBe('INVALID_ARGUMENT');
    }
  });
});
