/**
 * Flushes on the real file system run their table build in a worker thread; writes that need
 * no I/O still hand the event loop a turn now and then (`TurnKeeper`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import { TurnKeeper } from '../src/event-loop-turns.js';
import { collect } from './support/sorted-model.js';

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));
const key = (i: number): string => `key${String(i).padStart(6, '0')}`;

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'kv-flush-worker-'));
  dirs.push(dir);
  return dir;
}

async function writeRound(db: DB, round: number, count: number): Promise<void> {
  for (let i = 0; i < count; i += 100) {
    const ops = [];
    for (let j = i; j < Math.min(count, i + 100); j++) {
      ops.push(j % 7 === round % 7 ? { type: 'del' as const, key: key(j) } : { type: 'put' as const, key: key(j), value: `round ${round} value ${j}` });
    }
    await db.write(ops);
  }
}

function expectedRound(round: number, count: number): [string, string][] {
  const rows: [string, string][] = [];
  for (let j = 0; j < count; j++) if (j % 7 !== round % 7) rows.push([key(j), `round ${round} value ${j}`]);
  return rows;
}

const asText = (rows: [Uint8Array, Uint8Array][]): [string, string][] => rows.map(([k, v]) => [text(k) as string, text(v) as string]);

describe('flushes in a worker thread', () => {
  it('writes what every live snapshot reads, and the newest versions survive a reopen', async () => {
    const dir = tempDir();
    const count = 3000;
    const db = await DB.open(dir, { memtableSize: 64 * 1024 });
    await writeRound(db, 0, count);
    const first = db.snapshot();
    await writeRound(db, 1, count);
    await writeRound(db, 2, count);
    await db.flush();
    expect(db.stats().flushes.count).toBeGreaterThan(5);
    expect(db.stats().flushes.failures).toBe(0);
    expect(asText(await collect(first.iterator()))).toEqual(expectedRound(0, count));
    expect(asText(await collect(db.iterator()))).toEqual(expectedRound(2, count));
    first.release();
    await db.close();
    const again = await DB.open(dir, { memtableSize: 64 * 1024 });
    expect(asText(await collect(again.iterator()))).toEqual(expectedRound(2, count));
    expect(text(await again.get(key(1)))).toBe('round 2 value 1');
    await again.close();
  });
});

describe('large memtables', () => {
  it('flushes a memtable holding more than 32 MiB of keys and values (shared with the flush worker, not copied) and reads it back', async () => {
    const dir = tempDir();
    const db = await DB.open(dir, { memtableSize: 64 * 1024 * 1024, memoryBudget: 256 * 1024 * 1024 });
    const value = (i: number): Uint8Array => new Uint8Array(1024 * 1024).fill(i);
    for (let i = 0; i < 36; i++) await db.put(key(i), value(i));
    await db.flush();
    expect(db.stats().flushes.count).toBe(1);
    expect(db.stats().memtables.activeBytes).toBe(0);
    for (const i of [0, 17, 35]) expect(await db.get(key(i))).toEqual(value(i));
    await db.close();
  });
});

describe('workers under any parent flags', () => {
  it('regression: flushes and compacts in a process started with `node --input-type=module -e`', () => {
    const dir = tempDir();
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const code = [
      `const { DB } = await import(${JSON.stringify(dist)});`,
      `const db = await DB.open(${JSON.stringify(dir)}, { memtableSize: 16 * 1024 });`,
      'for (let i = 0; i < 4000; i++) await db.put(`key${i}`, `value ${i}`);',
      'await db.flush();',
      'await db.compactRange();',
      'const stats = db.stats();',
      'await db.close();',
      'console.log(JSON.stringify({ flushes: stats.flushes.count, failures: stats.flushes.failures + stats.compactions.failures, compactions: stats.compactions.count }));',
    ].join('\n');
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    const report = JSON.parse(child.stdout) as { flushes: number; failures: number; compactions: number };
    expect(report.flushes).toBeGreaterThan(0);
    expect(report.compactions).toBeGreaterThan(0);
    expect(report.failures).toBe(0);
  });
});

describe('writes hand the event loop a turn', () => {
  it('lets an immediate run during a loop of awaited writes that need no I/O', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs() });
    let ranAt: number | undefined;
    let written = 0;
    setImmediate(() => (ranAt = written));
    for (; written < 5000; written++) await db.put(key(written), 'v');
    expect(ranAt).toBeDefined();
    expect(ranAt).toBeLessThan(5000);
    await db.close();
  });
});

describe('writes that wait for a turn', () => {
  it('regression: concurrent durable writers resume together and still share WAL groups and syncs', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs() });
    const writers = 64;
    const rounds = 40;
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        for (let round = 0; round < rounds; round++) await db.put(key(writer * rounds + round), 'v', { sync: true });
      }),
    );
    const { syncs, records } = db.stats().wal;
    expect(records).toBe(writers * rounds);
    // One group per round when every writer resumes in the same batch; one per write if not.
    expect(syncs).toBeLessThanOrEqual(2 * rounds);
    await db.close();
  });
});

describe("under an application's fake timers", () => {
  it('regression: writes, flushes and a reopen with a WAL to replay finish without the fake clock advancing', async () => {
    // Everything but `performance` (which the engine's turn keeping reads) is fake.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval', 'Date'] });
    try {
      const vfs = new MemoryVfs();
      // Writes long enough to be due event-loop turns, and flushes of small memtables.
      const small = await DB.open('/small', { vfs, memtableSize: 16 * 1024 });
      for (let i = 0; i < 5000; i++) await small.put(key(i), `value ${i}`);
      expect(small.stats().flushes.count).toBeGreaterThan(0);
      await small.close();
      // A WAL of more than one packing slice (4,096 entries), replayed and flushed on open.
      const db = await DB.open('/db', { vfs, memtableSize: 4 * 1024 * 1024, flushOnClose: false });
      for (let i = 0; i < 5000; i++) await db.put(key(i), `value ${i}`);
      await db.close();
      const again = await DB.open('/db', { vfs, memtableSize: 4 * 1024 * 1024 });
      expect(text(await again.get(key(4999)))).toBe('value 4999');
      await again.close();
    } finally {
      vi.useRealTimers();
    }
  });
});

describe('durable writes with blocking syncs turned off', () => {
  it('keeps every durable write and still shares syncs between concurrent writers', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, blockingSyncMaxMs: 0 });
    await Promise.all(Array.from({ length: 16 }, async (_, writer) => {
      for (let round = 0; round < 20; round++) await db.put(key(writer * 20 + round), `v${round}`, { sync: true });
    }));
    expect(db.stats().wal.records).toBe(320);
    expect(db.stats().wal.syncs).toBeLessThanOrEqual(40);
    vfs.crash({ mode: 'power-loss' });
    const again = await DB.open('/db', { vfs });
    expect((await collect(again.iterator())).length).toBe(320);
    await again.close();
  });
});

describe('the background worker is started ahead of the first flush', () => {
  it('starts once the active memtable is half full, before any flush; never on another vfs', async () => {
    // Goal: the first flush finds the worker running (no wait for its start and module load).
    // Strategy: single puts of known size into a 256 KiB memtable; read memtable bytes and the
    // worker count after each. Invariants: no worker while the memtable is under half full;
    // one from the put that crosses half, while no flush has happened yet.
    const memtableSize = 256 * 1024;
    const db = await DB.open(tempDir(), { memtableSize });
    try {
      expect(db.stats().backgroundWorkers).toBe(0);
      let i = 0;
      while (db.stats().memtables.activeBytes * 2 < memtableSize) {
        expect(db.stats().backgroundWorkers).toBe(0);
        await db.put(key(i++), 'v'.repeat(200));
      }
      expect(db.stats().flushes.count).toBe(0);
      expect(db.stats().backgroundWorkers).toBe(1);
    } finally {
      await db.close();
    }

    const inline = await DB.open('/db', { vfs: new MemoryVfs(), memtableSize });
    try {
      for (let j = 0; j < 2000; j++) await inline.put(key(j), 'v'.repeat(200));
      expect(inline.stats().flushes.count).toBeGreaterThan(0);
      expect(inline.stats().backgroundWorkers).toBe(0);
    } finally {
      await inline.close();
    }
  });
});

describe('TurnKeeper', () => {
  it('asks for a turn only once the loop has waited the budget, and a turn resets it', async () => {
    const keeper = new TurnKeeper(0.25);
    expect(keeper.due()).toBeUndefined();
    const started = performance.now();
    while (performance.now() - started < 1) {
      // Hold the event loop past the budget.
    }
    let immediateRan = false;
    setImmediate(() => (immediateRan = true));
    const turn = keeper.due();
    expect(turn).toBeInstanceOf(Promise);
    await turn;
    expect(immediateRan).toBe(true);
    expect(keeper.due()).toBeUndefined();
  });
});
