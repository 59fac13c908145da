import { EntryKind, EntryPacker, KvError, toSeqNum } from '@kv/base';
import type { IndexedEntries, PackedEntries } from '@kv/base';
import { TableReader } from '@kv/sstable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import { MemoryVfs } from '@kv/vfs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RetentionFilter, checkPackedEntries, mergePackedRuns, runTableBuild, sortedRunOf, transferListOf } from '../src/index.js';
import type { PackedRuns, TableBuildJobInput } from '../src/index.js';
import { compareKeys, hex, internalOrder } from './versions.js';
import type { Version } from './versions.js';

const DIR = '/db';
const PATH = `${DIR}/000007.sst`;
const SEQ_MAX = Number.MAX_SAFE_INTEGER;
const BUILD: TableBuildOptions = { pageSizeBytes: 1024, compression: 'none', bloomBitsPerKey: 10 };

// ---------------------------------------------------------------------------------------------
// The model, written independently of the code under test.

/**
 * What a non-bottommost retention keeps: for each key, with snapshots s1 < … < sk, the newest
 * version of each stripe (−∞, s1], (s1, s2], …, (sk, ∞). A delete is kept like a put, and
 * reads back with an empty value.
 */
function expectedKept(versions: readonly Version[], snapshots: readonly number[]): Version[] {
  const byKey = new Map<string, Version[]>();
  for (const version of versions) {
    const id = hex(version.key);
    byKey.set(id, [...(byKey.get(id) ?? []), version]);
  }
  const keys = [...byKey.values()].map((group) => group[0] as Version).sort((a, b) => compareKeys(a.key, b.key));
  const kept: Version[] = [];
  for (const first of keys) {
    const history = [...(byKey.get(hex(first.key)) ?? [])].sort((a, b) => b.seq - a.seq);
    const stripesSeen = new Set<number>();
    for (const version of history) {
      // Stripe j holds the seqs above exactly j snapshots.
      const stripe = snapshots.filter((snapshot) => snapshot < version.seq).length;
      if (stripesSeen.has(stripe)) continue;
      stripesSeen.add(stripe);
      kept.push({ ...version, value: version.kind === EntryKind.Delete ? new Uint8Array(0) : version.value });
    }
  }
  return kept;
}

// ---------------------------------------------------------------------------------------------
// Packing a run the way the engine would: keys and values are views into a few batch payloads.

function show(entry: Version): string {
  return `${hex(entry.key)}@${entry.seq}/${entry.kind}=${hex(entry.value)}`;
}

/**
 * Packs `versions` (in the given order) with their bytes copied into `payloads` shared
 * buffers, entry i's key and value going to payload `placement[i] % payloads`, each preceded
 * by a byte of padding so that views have non-zero offsets.
 */
function packRun(versions: readonly Version[], payloads = 2, placement: readonly number[] = [], expectedEntries = versions.length): PackedEntries {
  const parts: number[][] = Array.from({ length: payloads }, () => []);
  const spots = versions.map((version, i) => {
    const part = parts[(placement[i] ?? i) % payloads] as number[];
    part.push(0xee);
    const key = part.length;
    part.push(...version.key, 0xee);
    const value = part.length;
    part.push(...version.value);
    return { part: (placement[i] ?? i) % payloads, key, value };
  });
  const buffers = parts.map((part) => Uint8Array.from(part).buffer);
  const packer = new EntryPacker(expectedEntries);
  versions.forEach((version, i) => {
    const spot = spots[i] as { part: number; key: number; value: number };
    const buffer = buffers[spot.part] as ArrayBuffer;
    packer.add({ key: new Uint8Array(buffer, spot.key, version.key.length), seq: toSeqNum(version.seq), kind: version.kind, value: new Uint8Array(buffer, spot.value, version.value.length) });
  });
  return packer.entries();
}

/**
 * `versions` (in internal order) as a memtable hands them over: packed in the order `arrival`
 * gives (a permutation; the identity when empty), with the order to read them in beside.
 */
function indexRun(versions: readonly Version[], arrival: readonly number[], payloads = 2, placement: readonly number[] = []): IndexedEntries {
  const ids = arrival.length === versions.length ? arrival : versions.map((_, i) => i);
  const entries = packRun(ids.map((i) => versions[i] as Version), payloads, ids.map((i) => placement[i] ?? i));
  const order = new Int32Array(versions.length);
  ids.forEach((sortedIndex, arrivedAt) => {
    order[sortedIndex] = arrivedAt;
  });
  return { entries, order };
}

/** Builds `runs` and one sorted run of `all` their versions (the scenario's payloads and build) and expects the same properties and bytes. */
async function expectSameFileAsOneRun(runs: PackedRuns, all: readonly Version[], scenario: Scenario): Promise<void> {
  const snapshots = snapshotsOf(scenario);
  const vfs = await emptyVfs();
  const fromRuns = await runTableBuild(vfs, input(runs, snapshots, scenario.build));
  const fromOne = await runTableBuild(vfs, input(packRun(all, scenario.payloads, scenario.placement), snapshots, scenario.build, `${DIR}/000008.sst`));
  expect(fromRuns).toEqual(fromOne);
  expect(Buffer.from(await vfs.readFile(PATH)).equals(Buffer.from(await vfs.readFile(`${DIR}/000008.sst`)))).toBe(true);
}

async function emptyVfs(): Promise<MemoryVfs> {
  const vfs = new MemoryVfs();
  await vfs.mkdir(DIR);
  return vfs;
}

async function readBack(vfs: MemoryVfs, path: string, properties: TableProperties): Promise<{ entries: Version[]; properties: TableProperties }> {
  const reader = await TableReader.open(vfs, path, { fileNumber: 7, expectedSizeBytes: properties.fileSizeBytes });
  const entries: Version[] = [];
  const iterator = reader.iterator();
  for (iterator.seekToFirst(); iterator.valid; iterator.next()) {
    const { key, seq, kind, value } = iterator.entry;
    entries.push({ key: key.slice(), seq, kind, value: value.slice() });
  }
  await reader.close();
  return { entries, properties: reader.properties };
}

/** Entry `i` of a packed run, shown like `show`. */
function showPacked(run: PackedEntries, i: number): string {
  const at = 6 * i;
  const bytes = (field: number): Uint8Array => new Uint8Array(run.buffers[run.refs[at + field] as number] as ArrayBuffer, run.refs[at + field + 1], run.refs[at + field + 2]);
  return show({ key: bytes(0), seq: run.seqs[i] as number, kind: run.kinds[i] as EntryKind, value: bytes(3) });
}

function input(entries: PackedRuns, snapshots: number[] = [], build: TableBuildOptions = BUILD, path = PATH): TableBuildJobInput {
  return { path, build, snapshots, entries };
}

/** A run of `count` distinct keys, one put each, with values of `valueBytes` bytes. */
function bigRun(count: number, valueBytes: number): Version[] {
  return Array.from({ length: count }, (_, i) => ({ key: new TextEncoder().encode(`key${String(i).padStart(6, '0')}`), seq: count - i, kind: EntryKind.Put, value: new Uint8Array(valueBytes).fill(i & 0xff) }));
}

const put = (key: string, seq: number, value = `v${seq}`): Version => ({ key: new TextEncoder().encode(key), seq, kind: EntryKind.Put, value: new TextEncoder().encode(value) });
const del = (key: string, seq: number): Version => ({ key: new TextEncoder().encode(key), seq, kind: EntryKind.Delete, value: new Uint8Array(0) });

// ---------------------------------------------------------------------------------------------

const edgeKeys = [[], [0], [0, 0], [1], [0x7f], [0x80], [0x80, 0x01], [0xff], [0xff, 0xff]].map((bytes) => Uint8Array.from(bytes));
const keyArbitrary = fc.oneof(
  { arbitrary: fc.constantFrom(...edgeKeys), weight: 6 },
  { arbitrary: fc.uint8Array({ maxLength: 3 }), weight: 3 },
  { arbitrary: fc.uint8Array({ minLength: 40, maxLength: 90 }), weight: 1 },
  { arbitrary: fc.uint8Array({ minLength: 1100, maxLength: 1300 }), weight: 1 },
);
const seqArbitrary = fc.oneof(
  { arbitrary: fc.integer({ min: 0, max: 60 }), weight: 8 },
  { arbitrary: fc.constantFrom(2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, SEQ_MAX - 1, SEQ_MAX), weight: 1 },
);
const versionArbitrary = fc.record({
  key: keyArbitrary,
  seq: seqArbitrary,
  kind: fc.constantFrom(EntryKind.Put, EntryKind.Put, EntryKind.Delete, EntryKind.PutExpiring),
  value: fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 30 }), weight: 8 }, { arbitrary: fc.uint8Array({ minLength: 900, maxLength: 2500 }), weight: 1 }),
});
const scenarioArbitrary = fc.record({
  versions: fc.uniqueArray(versionArbitrary, { selector: (version) => `${hex(version.key)}@${version.seq}`, minLength: 1, maxLength: 120 }),
  snapshots: fc.uniqueArray(fc.oneof({ arbitrary: fc.integer({ min: 0, max: 64 }), weight: 8 }, { arbitrary: fc.constantFrom(2 ** 32, SEQ_MAX - 1, SEQ_MAX), weight: 1 }), { maxLength: 5 }),
  /** Versions whose seqs are also snapshots (a snapshot equal to a seq bounds its stripe). */
  snapshotAtSeq: fc.array(fc.nat(), { maxLength: 3 }),
  payloads: fc.integer({ min: 1, max: 3 }),
  placement: fc.array(fc.nat(2), { maxLength: 120 }),
  expectedEntries: fc.constantFrom(0, 1, 16, 1000),
  build: fc.record({ pageSizeBytes: fc.constantFrom(1024, 4096), compression: fc.constantFrom('none' as const, 'lz4' as const), bloomBitsPerKey: fc.constantFrom(0, 10) }),
});

type Scenario = typeof scenarioArbitrary extends fc.Arbitrary<infer T> ? T : never;

function snapshotsOf(scenario: Scenario): number[] {
  const atSeqs = scenario.snapshotAtSeq.map((pick) => (scenario.versions[pick % scenario.versions.length] as Version).seq);
  return [...new Set([...scenario.snapshots, ...atSeqs])].sort((a, b) => a - b);
}

function codeOf(error: unknown): string | undefined {
  expect(error).toBeInstanceOf(KvError);
  return (error as KvError).code;
}

describe('runTableBuild', () => {
  it('writes exactly the versions the retention model keeps, with matching properties', async () => {
    // Goal: a flush writes the run in internal order minus the versions no snapshot reads.
    // Strategy: random unique (key, seq) versions (edge-case keys that test unsigned order,
    // short and long keys, keys and values large enough to overflow a page; seqs up to
    // 2^53-1; puts, deletes and expiring puts), sorted by an independent comparator and packed
    // into 1-3 shared payloads; random ascending snapshots; random page size, compression and
    // bloom setting. Invariants: the file reads back as the model's kept list (deletes with
    // empty values); the returned properties agree with it and with what the file says about
    // itself; the directory holds only the new file.
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const run = [...scenario.versions].sort(internalOrder);
        const snapshots = snapshotsOf(scenario);
        const vfs = await emptyVfs();
        const packed = packRun(run, scenario.payloads, scenario.placement, scenario.expectedEntries);
        const properties = await runTableBuild(vfs, input(packed, snapshots, scenario.build));
        const expected = expectedKept(run, snapshots);
        const written = await readBack(vfs, PATH, properties);
        expect(written.entries.map(show)).toEqual(expected.map(show));
        const first = expected[0] as Version;
        const last = expected[expected.length - 1] as Version;
        const seqs = expected.map((version) => version.seq);
        expect({
          entryCount: properties.entryCount,
          tombstoneCount: properties.tombstoneCount,
          seqMin: properties.seqMin,
          seqMax: properties.seqMax,
          smallestKey: hex(properties.smallestKey),
          largestKey: hex(properties.largestKey),
          pageSizeBytes: properties.pageSizeBytes,
          compression: properties.compression,
        }).toEqual({
          entryCount: expected.length,
          tombstoneCount: expected.filter((version) => version.kind === EntryKind.Delete).length,
          seqMin: Math.min(...seqs),
          seqMax: Math.max(...seqs),
          smallestKey: hex(first.key),
          largestKey: hex(last.key),
          pageSizeBytes: scenario.build.pageSizeBytes,
          compression: scenario.build.compression,
        });
        expect(written.properties).toEqual(properties);
        expect((await vfs.readFile(PATH)).length).toBe(properties.fileSizeBytes);
        expect(await vfs.list(DIR)).toEqual(['000007.sst']);
        // The run is read, not consumed: its arrays and buffers are untouched.
        expect(packed.count).toBe(run.length);
        expect(packed.seqs.length).toBe(run.length);
      }),
      { numRuns: 200 },
    );
  });

  it('builds the same file from several runs (memtables flushed together) as from their entries in one run', async () => {
    // Goal: a flush of two or more memtables writes what one memtable holding all their
    // entries would. Strategy: the scenarios above, each version dealt to one of 1-5 runs
    // (each run in internal order, packed into its own payloads, so equal keys meet across
    // runs), built with the runs given as a list and with one run of all the versions.
    // Invariants: the two files are byte for byte the same; mergePackedRuns gives a checked
    // run of every entry in internal order, referencing the runs' own buffers; the runs are
    // read, not changed; transferListOf lists every run's own arrays.
    const runsArbitrary = fc.record({ scenario: scenarioArbitrary, deal: fc.array(fc.nat(2), { maxLength: 120 }), runCount: fc.integer({ min: 1, max: 5 }) });
    await fc.assert(
      fc.asyncProperty(runsArbitrary, async ({ scenario, deal, runCount }) => {
        const all = [...scenario.versions].sort(internalOrder);
        const dealt = Array.from({ length: runCount }, (_, r) => all.filter((_, i) => (deal[i] ?? i) % runCount === r)).filter((versions) => versions.length > 0);
        const runs = dealt.map((versions) => packRun(versions, scenario.payloads, scenario.placement));
        const merged = mergePackedRuns(runs);
        checkPackedEntries(merged);
        expect(merged.buffers).toEqual(runs.flatMap((run) => run.buffers));
        expect(Array.from({ length: merged.count }, (_, i) => showPacked(merged, i))).toEqual(all.map(show));
        expect(runs.map((run) => run.count)).toEqual(dealt.map((versions) => versions.length));
        expect(transferListOf(runs)).toHaveLength(runs.reduce((sum, run) => sum + transferListOf(run).length, 0));
        await expectSameFileAsOneRun(runs, all, scenario);
      }),
      { numRuns: 150 },
    );
  });

  it('builds the same file from indexed runs (entries in arrival order, order beside) as from sorted ones', async () => {
    // Goal: a memtable handed over as its store and its ids in internal order writes what the
    // same entries in internal order write. Strategy: the scenarios above, each version dealt
    // to one of 1-3 runs, each run packed in a random arrival order and indexed, some runs
    // indexed and some sorted; built as that list and as one sorted run of all the versions.
    // Invariants: sortedRunOf gives the sorted run and leaves the indexed one as it was; the
    // files are byte for byte the same; transferListOf lists an indexed run's own arrays.
    const indexedArbitrary = fc.record({
      scenario: scenarioArbitrary,
      deal: fc.array(fc.nat(2), { maxLength: 120 }),
      runCount: fc.integer({ min: 1, max: 3 }),
      shuffles: fc.array(fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 120, maxLength: 120 }), { minLength: 3, maxLength: 3 }),
      sortedRuns: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
    });
    await fc.assert(
      fc.asyncProperty(indexedArbitrary, async ({ scenario, deal, runCount, shuffles, sortedRuns }) => {
        const all = [...scenario.versions].sort(internalOrder);
        const dealt = Array.from({ length: runCount }, (_, r) => all.filter((_, i) => (deal[i] ?? i) % runCount === r)).filter((versions) => versions.length > 0);
        const runs = dealt.map((versions, r) => {
          if (sortedRuns[r] === true) return packRun(versions, scenario.payloads, scenario.placement);
          const keys = shuffles[r] as number[];
          const arrival = versions.map((_, i) => i).sort((a, b) => (keys[a] ?? 0) - (keys[b] ?? 0) || a - b);
          const indexed = indexRun(versions, arrival, scenario.payloads, scenario.placement);
          const order = Array.from(indexed.order);
          const sorted = sortedRunOf(indexed);
          expect(Array.from({ length: sorted.count }, (_, i) => showPacked(sorted, i))).toEqual(versions.map(show));
          expect(Array.from(indexed.order)).toEqual(order);
          expect(transferListOf(indexed)).toEqual([indexed.entries.seqs.buffer, indexed.entries.kinds.buffer, indexed.entries.refs.buffer, indexed.order.buffer]);
          return indexed;
        });
        await expectSameFileAsOneRun(runs, all, scenario);
      }),
      { numRuns: 150 },
    );
  });

  it('rejects an indexed run whose order is not one index per entry inside the entries, with INVALID_ARGUMENT and creates no file', async () => {
    const versions = [put('a', 3), put('b', 2), put('c', 1)];
    const good = (): IndexedEntries => indexRun(versions, [2, 0, 1]);
    const orders: unknown[] = [new Int32Array([1, 2]), new Int32Array([1, 2, 0, 0]), new Int32Array([1, 2, 3]), new Int32Array([1, -1, 0]), new Int32Array([1, 1, 2]), Int32Array.from([1, 2, 0]).buffer, [1, 2, 0], new Uint32Array([1, 2, 0]), undefined];
    const vfs = await emptyVfs();
    for (const order of orders) {
      const run = { ...good(), order } as unknown as IndexedEntries;
      const error = await runTableBuild(vfs, input(run)).catch((caught: unknown) => caught);
      expect(codeOf(error)).toBe('INVALID_ARGUMENT');
      expect(() => transferListOf(run)).not.toThrow();
    }
    const malformed = good();
    malformed.entries.count = 4;
    expect(codeOf(await runTableBuild(vfs, input(malformed)).catch((caught: unknown) => caught))).toBe('INVALID_ARGUMENT');
    expect(await vfs.list(DIR)).toEqual([]);
    await runTableBuild(vfs, input(good()));
    expect(await vfs.list(DIR)).toEqual(['000007.sst']);
  });

  it('rejects runs that repeat a (key, seq) between them, and lists that are not runs, with INVALID_ARGUMENT and creates no file', async () => {
    const vfs = await emptyVfs();
    const error = await runTableBuild(vfs, input([packRun([put('a', 5), put('b', 4)]), packRun([put('a', 5, 'again')])])).catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('INVALID_ARGUMENT');
    expect(await vfs.list(DIR)).toEqual([]);
    const none = await runTableBuild(vfs, input([])).catch((caught: unknown) => caught);
    expect(codeOf(none)).toBe('INVALID_ARGUMENT');
    const malformed = packRun([put('c', 1)]);
    malformed.count = 2;
    const notRuns = [[packRun([put('a', 2)]), malformed], [null], [packRun([put('a', 2)]), undefined], [, packRun([put('a', 2)])], [7]] as unknown as PackedEntries[][];
    for (const runs of notRuns) {
      // Posting them to a worker does not throw either: the worker's check refuses them.
      expect(() => transferListOf(runs)).not.toThrow();
      const bad = await runTableBuild(vfs, input(runs)).catch((caught: unknown) => caught);
      expect(codeOf(bad)).toBe('INVALID_ARGUMENT');
    }
    expect(await vfs.list(DIR)).toEqual([]);
  });

  it('agrees with RetentionFilter(snapshots, false) decision by decision', async () => {
    // The same scenarios, checked against the filter itself: what it keeps is what is written.
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const run = [...scenario.versions].sort(internalOrder);
        const snapshots = snapshotsOf(scenario);
        const filter = new RetentionFilter(snapshots, false);
        const keptByFilter = run.filter((version) => filter.decide({ ...version, seq: toSeqNum(version.seq) }) === 'keep');
        expect(keptByFilter.map((version) => `${hex(version.key)}@${version.seq}`)).toEqual(expectedKept(run, snapshots).map((version) => `${hex(version.key)}@${version.seq}`));
        const vfs = await emptyVfs();
        const properties = await runTableBuild(vfs, input(packRun(run, scenario.payloads, scenario.placement), snapshots));
        expect(properties.entryCount).toBe(keptByFilter.length);
      }),
      { numRuns: 60 },
    );
  });

  it('follows a worked example: stripes (−∞,3], (3,10], (10,∞)', async () => {
    const run = [put('a', 12), del('a', 9), put('a', 7), put('a', 4), put('a', 2), put('a', 1), del('b', 5), put('b', 3), put('c', 11, 'only')];
    const vfs = await emptyVfs();
    const properties = await runTableBuild(vfs, input(packRun(run), [3, 10]));
    const written = await readBack(vfs, PATH, properties);
    expect(written.entries.map((version) => `${Buffer.from(version.key)}@${version.seq}/${version.kind}`)).toEqual(['a@12/1', 'a@9/0', 'a@2/1', 'b@5/0', 'b@3/1', 'c@11/1']);
    expect(properties).toMatchObject({ entryCount: 6, tombstoneCount: 2, seqMin: 2, seqMax: 12 });
    expect(Buffer.from(properties.smallestKey).toString()).toBe('a');
    expect(Buffer.from(properties.largestKey).toString()).toBe('c');
  });

  it('writes a run larger than a write slice (several writes) and reads it all back', async () => {
    const run = bigRun(3000, 150);
    const vfs = await emptyVfs();
    const writes: number[] = [];
    vfs.onOperation((operation) => {
      if (operation.kind === 'write') writes.push(1);
    });
    const properties = await runTableBuild(vfs, input(packRun(run, 3), [], { pageSizeBytes: 4096, compression: 'none', bloomBitsPerKey: 10 }));
    expect(writes.length).toBeGreaterThan(1);
    const written = await readBack(vfs, PATH, properties);
    expect(written.entries.map(show)).toEqual(run.map(show));
  });

  it('rejects an empty run with INVALID_ARGUMENT and creates no file', async () => {
    const vfs = await emptyVfs();
    const error = await runTableBuild(vfs, input(new EntryPacker(0).entries())).catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('INVALID_ARGUMENT');
    expect(await vfs.list(DIR)).toEqual([]);
  });

  it('rejects out-of-order runs with INVALID_ARGUMENT and leaves no file behind', async () => {
    const cases: [string, Version[]][] = [
      ['equal keys with ascending seqs', [put('a', 1), put('a', 2)]],
      ['descending keys', [put('b', 1), put('a', 2)]],
      ['a repeated (key, seq)', [put('a', 5), put('a', 5, 'again')]],
      ['a repeated (key, seq), delete after put', [put('a', 5), del('a', 5)]],
      ['signed rather than unsigned byte order', [{ ...put('', 2), key: Uint8Array.of(0x80) }, { ...put('', 1), key: Uint8Array.of(0x7f) }]],
      ['a longer key before its prefix', [put('ab', 2), put('a', 1)]],
      ['disorder after a version retention drops', [put('a', 9), put('a', 8), put('a', 7), put('a', 8)]],
      ['disorder at the very end of a multi-slice run', [...bigRun(3000, 150), put('key000000', 1)]],
    ];
    for (const [name, run] of cases) {
      const vfs = await emptyVfs();
      const error = await runTableBuild(vfs, input(packRun(run, 2))).catch((caught: unknown) => caught);
      expect(codeOf(error), name).toBe('INVALID_ARGUMENT');
      expect(await vfs.list(DIR), name).toEqual([]);
    }
  });

  it('rejects malformed runs with INVALID_ARGUMENT and creates no file', async () => {
    const good = (): PackedEntries => packRun([put('a', 3), put('b', 2), del('c', 1)], 1);
    const malformed: [string, (run: PackedEntries) => void][] = [
      ['negative count', (run) => { run.count = -1; }],
      ['fractional count', (run) => { run.count = 1.5; }],
      ['count past the arrays', (run) => { run.count = 4; }],
      ['seqs too short', (run) => { run.seqs = run.seqs.subarray(0, 2); }],
      ['refs too short', (run) => { run.refs = run.refs.subarray(0, 17); }],
      ['seqs of the wrong type', (run) => { (run as unknown as { seqs: unknown }).seqs = Array.from(run.seqs); }],
      ['buffer index out of range', (run) => { run.refs[6] = 1; }],
      ['value past its buffer', (run) => { run.refs[5] = 1000; }],
      ['non-integer seq', (run) => { run.seqs[1] = 1.5; }],
      ['negative seq', (run) => { run.seqs[2] = -1; }],
      ['a buffers entry that is a view, not a buffer', (run) => { run.buffers[0] = new Uint8Array(run.buffers[0] as ArrayBuffer) as unknown as ArrayBuffer; }],
    ];
    for (const [name, breakIt] of malformed) {
      const run = good();
      breakIt(run);
      const vfs = await emptyVfs();
      const error = await runTableBuild(vfs, input(run)).catch((caught: unknown) => caught);
      expect(codeOf(error), name).toBe('INVALID_ARGUMENT');
      expect(await vfs.list(DIR), name).toEqual([]);
    }
  });

  it('rejects an entry kind the page file cannot store with INVALID_ARGUMENT and removes the partial file', async () => {
    const run = packRun([put('a', 3), put('b', 2), put('c', 1)]);
    run.kinds[1] = 7;
    const vfs = await emptyVfs();
    const error = await runTableBuild(vfs, input(run)).catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('INVALID_ARGUMENT');
    expect(await vfs.list(DIR)).toEqual([]);
  });

  it('rejects snapshots out of order with INVALID_ARGUMENT and creates no file', async () => {
    const vfs = await emptyVfs();
    const error = await runTableBuild(vfs, input(packRun([put('a', 3)]), [5, 5])).catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('INVALID_ARGUMENT');
    expect(await vfs.list(DIR)).toEqual([]);
  });

  it('does not touch a file already at the path', async () => {
    const vfs = await emptyVfs();
    const file = await vfs.open(PATH, { create: true });
    await file.write({ data: Uint8Array.of(1, 2, 3), position: 0 });
    await file.close();
    const error = await runTableBuild(vfs, input(packRun([put('a', 3)]))).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(KvError);
    expect([...(await vfs.readFile(PATH))]).toEqual([1, 2, 3]);
  });

  it('rejects with the injected I/O error and leaves no partial file', async () => {
    // Goal: a failed flush leaves nothing a later open could mistake for a table. Strategy:
    // a fault on the nth write (the first slice, a later slice, the final write) or on the
    // sync, with EIO or ENOSPC, for a small run and for one spanning several slices.
    // Invariants: the job rejects with that error's code; the directory is empty again.
    const small = [put('a', 3), del('a', 2), put('b', 1)];
    const large = bigRun(3000, 150);
    const cases: { run: Version[]; kind: 'write' | 'sync' | 'open'; nth: number; error: 'EIO' | 'ENOSPC' }[] = [
      { run: small, kind: 'write', nth: 1, error: 'EIO' },
      { run: small, kind: 'write', nth: 1, error: 'ENOSPC' },
      { run: small, kind: 'sync', nth: 1, error: 'EIO' },
      { run: small, kind: 'open', nth: 1, error: 'EIO' },
      { run: large, kind: 'write', nth: 1, error: 'ENOSPC' },
      { run: large, kind: 'write', nth: 2, error: 'EIO' },
      { run: large, kind: 'sync', nth: 1, error: 'ENOSPC' },
    ];
    for (const { run, kind, nth, error: injected } of cases) {
      const name = `${run.length} entries, ${kind} #${nth} ${injected}`;
      const vfs = await emptyVfs();
      vfs.failOperation({ kind, nth, error: injected });
      const error = await runTableBuild(vfs, input(packRun(run), [], { pageSizeBytes: 4096 })).catch((caught: unknown) => caught);
      expect(codeOf(error), name).toBe(injected === 'ENOSPC' ? 'NO_SPACE' : 'IO_ERROR');
      if (injected === 'EIO') expect(error, name).toMatchObject({ osCode: 'EIO' });
      vfs.clearFaults();
      expect(await vfs.list(DIR), name).toEqual([]);
    }
  });

  it('rejects with the injected error when the last write fails (counted from a clean run)', async () => {
    // Count the writes a clean build of a multi-slice run makes, then fail exactly the last one.
    const run = bigRun(3000, 150);
    const clean = await emptyVfs();
    let writes = 0;
    clean.onOperation((operation) => {
      if (operation.kind === 'write') writes++;
    });
    await runTableBuild(clean, input(packRun(run)));
    expect(writes).toBeGreaterThan(1);
    const vfs = await emptyVfs();
    vfs.failOperation({ kind: 'write', nth: writes, error: 'ENOSPC' });
    const error = await runTableBuild(vfs, input(packRun(run))).catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('NO_SPACE');
    expect(await vfs.list(DIR)).toEqual([]);
  });
});
