import { join } from 'node:path';
import { EntryKind, EntryPacker, KvError, toSeqNum } from '@kv/base';
import type { PackedEntries } from '@kv/base';
import { TableReader } from '@kv/sstable';
import type { TableBuildOptions, TableProperties } from '@kv/sstable';
import { nodeVfs } from '@kv/vfs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CompactionWorkerPool, runTableBuild } from '../src/index.js';
import type { TableBuildJobInput } from '../src/index.js';
import { compareKeys, hex, internalOrder } from './versions.js';
import type { Version } from './versions.js';
import { useWorkerPoolInTempDir } from './worker-pool-fixture.js';

const SEQ_MAX = Number.MAX_SAFE_INTEGER;

/** Packs `versions` with their bytes in `payloads` batch buffers (views at non-zero offsets), as the engine packs a memtable. */
function packRun(versions: readonly Version[], payloads = 2): PackedEntries {
  const parts: number[][] = Array.from({ length: payloads }, () => []);
  const spots = versions.map((version, i) => {
    const part = parts[i % payloads] as number[];
    part.push(0xee);
    const key = part.length;
    part.push(...version.key, 0xee);
    const value = part.length;
    part.push(...version.value);
    return { key, value };
  });
  const buffers = parts.map((part) => Uint8Array.from(part).buffer);
  const packer = new EntryPacker(versions.length);
  versions.forEach((version, i) => {
    const spot = spots[i] as { key: number; value: number };
    const buffer = buffers[i % payloads] as ArrayBuffer;
    packer.add({ key: new Uint8Array(buffer, spot.key, version.key.length), seq: toSeqNum(version.seq), kind: version.kind, value: new Uint8Array(buffer, spot.value, version.value.length) });
  });
  return packer.entries();
}

/** Entries `from` to `to` (exclusive) of `packed` as a run of their own, over the same buffers. */
function subRun(packed: PackedEntries, from: number, to: number): PackedEntries {
  return { count: to - from, seqs: packed.seqs.slice(from, to), kinds: packed.kinds.slice(from, to), refs: packed.refs.slice(6 * from, 6 * to), buffers: [...packed.buffers] };
}

async function readEntries(path: string, properties: TableProperties): Promise<string[]> {
  const reader = await TableReader.open(nodeVfs, path, { fileNumber: 1, expectedSizeBytes: properties.fileSizeBytes });
  const entries: string[] = [];
  const iterator = reader.iterator();
  for (iterator.seekToFirst(); iterator.valid; iterator.next()) {
    const { key, seq, kind, value } = iterator.entry;
    entries.push(`${hex(key)}@${seq}/${kind}=${hex(value)}`);
  }
  await reader.close();
  return entries;
}

const put = (key: string, seq: number, value = `v${seq}`): Version => ({ key: new TextEncoder().encode(key), seq, kind: EntryKind.Put, value: new TextEncoder().encode(value) });

function bigRun(count: number, valueBytes: number): Version[] {
  return Array.from({ length: count }, (_, i) => ({ key: new TextEncoder().encode(`key${String(i).padStart(6, '0')}`), seq: 2 * count - i, kind: i % 7 === 0 ? EntryKind.Delete : EntryKind.Put, value: new Uint8Array(valueBytes).map((_, j) => (i * 31 + j) & 0xff) }));
}

const scenarioArbitrary = fc.record({
  versions: fc.uniqueArray(
    fc.record({
      key: fc.oneof({ arbitrary: fc.constantFrom(...[[], [0], [0x7f], [0x80], [0xff, 0]].map((bytes) => Uint8Array.from(bytes))), weight: 3 }, { arbitrary: fc.uint8Array({ maxLength: 20 }), weight: 2 }),
      seq: fc.oneof({ arbitrary: fc.integer({ min: 0, max: 50 }), weight: 8 }, { arbitrary: fc.constantFrom(2 ** 32, SEQ_MAX), weight: 1 }),
      kind: fc.constantFrom(EntryKind.Put, EntryKind.Delete, EntryKind.PutExpiring),
      value: fc.oneof({ arbitrary: fc.uint8Array({ maxLength: 40 }), weight: 6 }, { arbitrary: fc.uint8Array({ minLength: 1500, maxLength: 3000 }), weight: 1 }),
    }),
    { selector: (version) => `${hex(version.key)}@${version.seq}`, minLength: 1, maxLength: 80 },
  ),
  snapshots: fc.uniqueArray(fc.integer({ min: 0, max: 55 }), { maxLength: 4 }),
  payloads: fc.integer({ min: 1, max: 3 }),
  build: fc.record({ pageSizeBytes: fc.constantFrom(1024, 4096), compression: fc.constantFrom('none' as const, 'lz4' as const), bloomBitsPerKey: fc.constantFrom(0, 10) }),
});

function codeOf(error: unknown): string | undefined {
  expect(error).toBeInstanceOf(KvError);
  return (error as KvError).code;
}

describe('CompactionWorkerPool.buildTable', () => {
  const { pool, newDir: nextDir } = useWorkerPoolInTempDir('kv-table-build-');

  it('writes the same properties and the same bytes as runTableBuild inline', async () => {
    // Goal: moving a flush to a worker changes nothing about the file. Strategy: random runs
    // (random keys, kinds, small and page-overflowing values, snapshots, page size,
    // compression, bloom); the same data packed twice (the worker detaches what it is sent),
    // one built inline, one in the pool. Invariants: equal properties, byte-identical files,
    // and the sent run's own arrays detached afterwards while its byte buffers are intact.
    await fc.assert(
      fc.asyncProperty(scenarioArbitrary, async (scenario) => {
        const run = [...scenario.versions].sort(internalOrder);
        const snapshots = [...scenario.snapshots].sort((a, b) => a - b);
        const dir = await nextDir();
        const inlinePath = join(dir, '000001.sst');
        const workerPath = join(dir, '000002.sst');
        const build: TableBuildOptions = scenario.build;
        const inline = await runTableBuild(nodeVfs, { path: inlinePath, build, snapshots, entries: packRun(run, scenario.payloads) });
        const sent = packRun(run, scenario.payloads);
        const sentBytes = sent.buffers.map((buffer) => hex(new Uint8Array(buffer)));
        const threaded = await pool.buildTable({ path: workerPath, build, snapshots, entries: sent });
        expect(threaded).toEqual(inline);
        expect(Buffer.from(await nodeVfs.readFile(workerPath)).equals(Buffer.from(await nodeVfs.readFile(inlinePath)))).toBe(true);
        expect(await readEntries(workerPath, threaded)).toEqual(await readEntries(inlinePath, inline));
        for (const array of [sent.seqs, sent.kinds, sent.refs]) expect(array.length).toBe(0);
        expect(sent.buffers.map((buffer) => hex(new Uint8Array(buffer)))).toEqual(sentBytes);
        expect(await nodeVfs.list(dir)).toEqual(['000001.sst', '000002.sst']);
      }),
      { numRuns: 25 },
    );
  });

  it('builds an indexed run (a memtable\'s store and its order) into the file its sorted entries give, transferring its arrays', async () => {
    const versions = bigRun(900, 40);
    const arrival = versions.map((_, i) => (i * 577) % versions.length);
    const stored = packRun(arrival.map((i) => versions[i] as Version), 3);
    const order = new Int32Array(versions.length);
    arrival.forEach((sortedIndex, arrivedAt) => {
      order[sortedIndex] = arrivedAt;
    });
    const bytes = stored.buffers.map((buffer) => hex(new Uint8Array(buffer)));
    const dir = await nextDir();
    const threaded = await pool.buildTable({ path: join(dir, '000001.sst'), build: { pageSizeBytes: 4096 }, snapshots: [], entries: { entries: stored, order } });
    for (const array of [stored.seqs, stored.kinds, stored.refs, order]) expect(array.length).toBe(0);
    expect(stored.buffers.map((buffer) => hex(new Uint8Array(buffer)))).toEqual(bytes);
    const inline = await runTableBuild(nodeVfs, { path: join(dir, '000002.sst'), build: { pageSizeBytes: 4096 }, snapshots: [], entries: packRun(versions, 2) });
    expect(threaded).toEqual(inline);
    expect(Buffer.from(await nodeVfs.readFile(join(dir, '000001.sst'))).equals(Buffer.from(await nodeVfs.readFile(join(dir, '000002.sst'))))).toBe(true);
  });

  it('builds several runs sent together (a paired flush) into the file one run of their entries gives', async () => {
    // Two memtables' runs, sharing keys (the newer one's versions of even keys) and their
    // payload buffers (consecutive memtables' batches can share a payload chunk): both are cut
    // from one packing, so each run's references point into the same buffers.
    const older = bigRun(600, 60);
    const newer = older.filter((_, i) => i % 2 === 0).map((version) => ({ ...version, seq: version.seq + 5000, value: new TextEncoder().encode(`new ${version.seq}`) }));
    const together = packRun([...older, ...newer], 2);
    const sent = [subRun(together, 0, older.length), subRun(together, older.length, older.length + newer.length)];
    const dir = await nextDir();
    const threaded = await pool.buildTable({ path: join(dir, '000001.sst'), build: { pageSizeBytes: 4096 }, snapshots: [], entries: sent });
    for (const run of sent) for (const array of [run.seqs, run.kinds, run.refs]) expect(array.length).toBe(0);
    const all = [...older, ...newer].sort(internalOrder);
    const inline = await runTableBuild(nodeVfs, { path: join(dir, '000002.sst'), build: { pageSizeBytes: 4096 }, snapshots: [], entries: packRun(all, 2) });
    expect(threaded).toEqual(inline);
    expect(Buffer.from(await nodeVfs.readFile(join(dir, '000001.sst'))).equals(Buffer.from(await nodeVfs.readFile(join(dir, '000002.sst'))))).toBe(true);
    // No snapshot: each even key keeps only its newer version.
    expect(threaded.entryCount).toBe(older.length);
    expect(await readEntries(join(dir, '000001.sst'), threaded)).toEqual(await readEntries(join(dir, '000002.sst'), inline));
  });

  it('detaches the sent run’s arrays but keeps its key and value buffers usable', async () => {
    const run = bigRun(2000, 100);
    const sent = packRun(run, 3);
    const keysAndValues = Array.from({ length: run.length }, (_, i) => i).map((i) => {
      const refs = sent.refs;
      const buffer = sent.buffers[refs[6 * i] as number] as ArrayBuffer;
      return new Uint8Array(buffer, refs[6 * i + 1], refs[6 * i + 2]);
    });
    const buffers = [...sent.buffers];
    const sizes = buffers.map((buffer) => buffer.byteLength);
    const bytes = buffers.map((buffer) => hex(new Uint8Array(buffer)));
    const dir = await nextDir();
    const properties = await pool.buildTable({ path: join(dir, '000001.sst'), build: { pageSizeBytes: 4096 }, snapshots: [], entries: sent });
    expect(properties.entryCount).toBe(run.length);
    for (const array of [sent.seqs, sent.kinds, sent.refs]) {
      expect(array.length).toBe(0);
      expect(array.buffer.byteLength).toBe(0);
    }
    expect(sent.buffers).toEqual(buffers);
    sent.buffers.forEach((buffer, i) => expect(buffer).toBe(buffers[i]));
    expect(buffers.map((buffer) => buffer.byteLength)).toEqual(sizes);
    expect(buffers.map((buffer) => hex(new Uint8Array(buffer)))).toEqual(bytes);
    // Views the sender still holds (a reader of the frozen memtable) still read their keys.
    expect(keysAndValues.map((key) => Buffer.from(key).toString())).toEqual(run.map((version) => Buffer.from(version.key).toString()));
    expect(await readEntries(join(dir, '000001.sst'), properties)).toHaveLength(run.length);
  });

  it('runs several table builds at once (more than the threads) with the right results', async () => {
    const dir = await nextDir();
    const runs = [bigRun(500, 50), bigRun(1500, 20), [put('a', 3), put('a', 2), put('b', 1)], bigRun(10, 5000), bigRun(300, 0)];
    const results = await Promise.all(runs.map((run, i) => pool.buildTable({ path: join(dir, `00000${i + 1}.sst`), build: { pageSizeBytes: 1024 }, snapshots: [], entries: packRun(run) })));
    // With no snapshot below the newest, only a's newest version survives; every other key has one version.
    expect(results.map((result) => result.entryCount)).toEqual([500, 1500, 2, 10, 300]);
    for (const [i, result] of results.entries()) {
      const inline = await runTableBuild(nodeVfs, { path: join(dir, `inline-${i}.sst`), build: { pageSizeBytes: 1024 }, snapshots: [], entries: packRun(runs[i] as Version[]) });
      expect(result).toEqual(inline);
    }
  });

  it('rejects worker-side failures with a KvError of the right code and leaves no partial file', async () => {
    const dir = await nextDir();
    const build: TableBuildOptions = { pageSizeBytes: 4096 };
    const job = (path: string, entries: PackedEntries, snapshots: number[] = []): TableBuildJobInput => ({ path: join(dir, path), build, snapshots, entries });

    const outOfOrder = await pool.buildTable(job('000001.sst', packRun([put('a', 1), put('a', 2)]))).catch((error: unknown) => error);
    expect(codeOf(outOfOrder)).toBe('INVALID_ARGUMENT');
    const lateDisorder = await pool.buildTable(job('000002.sst', packRun([...bigRun(3000, 150), put('key000000', 1)]))).catch((error: unknown) => error);
    expect(codeOf(lateDisorder)).toBe('INVALID_ARGUMENT');
    const descending = await pool.buildTable(job('000003.sst', packRun([put('b', 2), put('a', 1)]))).catch((error: unknown) => error);
    expect(codeOf(descending)).toBe('INVALID_ARGUMENT');
    const empty = await pool.buildTable(job('000004.sst', new EntryPacker(4).entries())).catch((error: unknown) => error);
    expect(codeOf(empty)).toBe('INVALID_ARGUMENT');
    const malformed = packRun([put('a', 2), put('b', 1)]);
    malformed.refs[6] = 5;
    expect(codeOf(await pool.buildTable(job('000005.sst', malformed)).catch((error: unknown) => error))).toBe('INVALID_ARGUMENT');
    const badSnapshots = await pool.buildTable(job('000006.sst', packRun([put('a', 1)]), [4, 2])).catch((error: unknown) => error);
    expect(codeOf(badSnapshots)).toBe('INVALID_ARGUMENT');
    const badKind = packRun([put('a', 1)]);
    badKind.kinds[0] = 9;
    expect(codeOf(await pool.buildTable(job('000007.sst', badKind)).catch((error: unknown) => error))).toBe('INVALID_ARGUMENT');
    expect(await nodeVfs.list(dir)).toEqual([]);

    const missingDir = await pool.buildTable({ path: join(dir, 'no-such-dir', '000008.sst'), build, snapshots: [], entries: packRun([put('a', 1)]) }).catch((error: unknown) => error);
    expect(codeOf(missingDir)).toBe('IO_ERROR');
    expect(missingDir).toMatchObject({ name: 'KvError', osCode: 'ENOENT' });

    await pool.buildTable(job('000009.sst', packRun([put('a', 1)])));
    const before = await nodeVfs.readFile(join(dir, '000009.sst'));
    const exists = await pool.buildTable(job('000009.sst', packRun([put('b', 1)]))).catch((error: unknown) => error);
    expect(codeOf(exists)).toBe('IO_ERROR');
    expect(exists).toMatchObject({ osCode: 'EEXIST' });
    expect(Buffer.from(await nodeVfs.readFile(join(dir, '000009.sst'))).equals(Buffer.from(before))).toBe(true);

    // The pool still works after failed jobs.
    expect((await pool.buildTable(job('000010.sst', packRun([put('a', 2), put('b', 1)])))).entryCount).toBe(2);
    const invalidBuild = await pool.buildTable({ path: join(dir, '000011.sst'), build: { pageSizeBytes: 1000 }, snapshots: [], entries: packRun([put('a', 1)]) }).catch((error: unknown) => error);
    expect(codeOf(invalidBuild)).toBe('INVALID_ARGUMENT');
    expect(await nodeVfs.list(dir)).toEqual(['000009.sst', '000010.sst']);
  });

  it('rejects an input that cannot be sent to a worker with INVALID_ARGUMENT, and keeps working', async () => {
    const dir = await nextDir();
    const unsendable = { path: join(dir, '000001.sst'), build: { pageSizeBytes: 4096, extra: () => 1 } as TableBuildOptions, snapshots: [], entries: packRun([put('a', 1)]) };
    expect(codeOf(await pool.buildTable(unsendable).catch((error: unknown) => error))).toBe('INVALID_ARGUMENT');
    // Nothing was sent, so nothing was detached: the caller can still build the run inline.
    expect(unsendable.entries.seqs.length).toBe(1);
    expect(unsendable.entries.refs.length).toBe(6);
    const properties = await pool.buildTable({ path: join(dir, '000002.sst'), build: { pageSizeBytes: 4096 }, snapshots: [], entries: packRun([put('a', 1)]) });
    expect(properties.entryCount).toBe(1);
    expect(await nodeVfs.list(dir)).toEqual(['000002.sst']);
  });

  it('rejects with NOT_OPEN after close', async () => {
    const closed = new CompactionWorkerPool();
    await closed.close();
    const entries = packRun([put('a', 1)]);
    const error = await closed.buildTable({ path: join(await nextDir(), 'never.sst'), build: {}, snapshots: [], entries }).catch((caught: unknown) => caught);
    expect(codeOf(error)).toBe('NOT_OPEN');
    // Nothing was sent, so nothing was detached.
    expect(entries.seqs.length).toBe(1);
  });
});
