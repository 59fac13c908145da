import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isKvError } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { WalReader } from '@kv/wal';
import type { WalRecoveryMode } from '@kv/wal';
import { DB } from '../src/index.js';
import { damageFile, describeDamage } from './support/damage.js';
import type { Damage } from './support/damage.js';
import { History } from './support/history.js';
import { collect, show } from './support/sorted-model.js';

// Goal: damage to any file of a database never yields a wrong value, an error that is not a
// KvError, or a hang: opening and reading give the right data, or CORRUPTION naming the
// damaged file, or (only where the recovery mode allows dropping a damaged log tail) the
// state after a prefix of the writes that still holds everything in page files and in WAL
// records before the damage.
// Strategy: one small database (two level-0 page files, a WAL segment holding the newest
// synced writes, a MANIFEST with three edits, CURRENT, and a LOCK left by a crash) is copied
// for every case; one file is damaged (flipped bits, a zeroed range, truncation, deletion;
// positions drawn by fast-check from a fixed seed), then the copy is opened in the default
// recovery mode and in 'absoluteConsistency', scanned, and read key by key.
// Invariants: every error is a KvError; CORRUPTION names the damaged file; a state is the
// model after all writes, or, for WAL damage in a mode that drops a damaged tail (and WAL
// truncation, which can end on a record boundary), after a prefix that keeps every flushed
// write and every write whose record ends before the damage; point reads agree with the
// scan; a damaged LOCK changes nothing.

const SEED = Number(process.env['KV_CORRUPTION_SEED'] ?? 424242);
const RUNS_PER_CELL = Number(process.env['KV_CORRUPTION_RUNS'] ?? 25);
const KEYS = Array.from({ length: 16 }, (_, i) => `k${String(i).padStart(2, '0')}`);
const encoder = new TextEncoder();

type FileKind = 'WAL segment' | 'page file' | 'MANIFEST' | 'CURRENT' | 'LOCK';

interface Fixture {
  image: MemoryVfs;
  history: History;
  /** Writes that reached page files; any state must hold at least these. */
  flushedWrites: number;
  /** End offsets of the WAL's records; record i holds write `flushedWrites + i`. */
  walRecordEnds: number[];
  files: Record<FileKind, string[]>;
}

let fixture: Promise<Fixture> | undefined;

/** Builds the damaged-file fixture once: 2 flushes, then synced writes left in the WAL. */
function theFixture(): Promise<Fixture> {
  fixture ??= (async () => {
    const vfs = new MemoryVfs();
    const history = new History();
    const db = await DB.open('/db', { vfs, memtableSize: 64 * 1024, pageSize: 1024 });
    const writeRound = async (round: number): Promise<void> => {
      for (let i = 0; i < 8; i++) {
        const key = KEYS[(round * 5 + i * 3) % KEYS.length] as string;
        const ops = i % 4 === 3
          ? [{ type: 'del' as const, key: encoder.encode(key) }]
          : [{ type: 'put' as const, key: encoder.encode(key), value: encoder.encode(`${key} round ${round} ${'.'.repeat((i * 37 + round * 11) % 150)}`) }];
        const id = history.issue({ ops, sync: true });
        await db.write(ops, { sync: true });
        history.acknowledge(id);
      }
    };
    await writeRound(0);
    await writeRound(1);
    await db.flush();
    await writeRound(2);
    await db.flush();
    const flushedWrites = history.issued.length;
    await writeRound(3);
    await writeRound(4);
    // A process kill now leaves the LOCK file and the live WAL segment behind.
    const image = vfs.crashImage({ mode: 'process-kill' });
    await db.close();
    const names = await image.list('/db');
    const pick = (test: (name: string) => boolean): string[] => names.filter(test).map((name) => `/db/${name}`);
    const files: Record<FileKind, string[]> = {
      'WAL segment': pick((name) => name.endsWith('.log')),
      'page file': pick((name) => name.endsWith('.sst')),
      MANIFEST: pick((name) => name.startsWith('MANIFEST-')),
      CURRENT: pick((name) => name === 'CURRENT'),
      LOCK: pick((name) => name === 'LOCK'),
    };
    const wal = files['WAL segment'][0] as string;
    const reader = await WalReader.open(image, wal, { logNumber: Number(wal.slice(wal.lastIndexOf('/') + 1, -'.log'.length)) });
    const walRecordEnds: number[] = [];
    for await (const record of reader) walRecordEnds.push(record.position.offset + record.position.length);
    await reader.close();
    return { image, history, flushedWrites, walRecordEnds, files };
  })();
  return fixture;
}

type Outcome = { error: unknown } | { state: string[]; gets: (string | undefined)[] };

async function openAndRead(vfs: MemoryVfs, mode: WalRecoveryMode): Promise<Outcome> {
  let db: DB;
  try {
    db = await DB.open('/db', { vfs, walRecoveryMode: mode, createIfMissing: false });
  } catch (error) {
    return { error };
  }
  try {
    const state = show(await collect(db.iterator()));
    const gets: (string | undefined)[] = [];
    for (const key of KEYS) {
      const value = await db.get(key);
      gets.push(value === undefined ? undefined : Buffer.from(value).toString('hex'));
    }
    return { state, gets };
  } catch (error) {
    return { error };
  } finally {
    await db.close().catch(() => undefined);
  }
}

/**
 * The fewest writes a case must keep: all of them, except for WAL damage where the mode drops a
 * damaged tail (the default mode; truncation in any mode, since a cut at a record boundary
 * leaves a shorter, valid log). Even then every record that ends before the damage is kept.
 */
function writesToKeep(fixture: Fixture, kind: FileKind, damage: Damage, mode: WalRecoveryMode, sizeBytes: number): number {
  const total = fixture.history.issued.length;
  if (kind !== 'WAL segment' || damage.kind === 'delete') return total;
  if (mode === 'absoluteConsistency' && damage.kind !== 'truncate') return total;
  const first = damage.kind === 'flip' ? Math.min(...damage.flips.map((f) => f.offset % sizeBytes))
    : damage.kind === 'zero' ? damage.offset % sizeBytes : damage.sizeBytes % sizeBytes;
  return fixture.flushedWrites + fixture.walRecordEnds.filter((end) => end <= first).length;
}

/** The violation a case shows, or undefined when its outcome is allowed. */
function violationOf(outcome: Outcome, context: { fixture: Fixture; kind: FileKind; path: string; damage: Damage; mode: WalRecoveryMode; sizeBytes: number }): string | undefined {
  const { fixture, kind, path, damage, mode, sizeBytes } = context;
  if ('error' in outcome) {
    const { error } = outcome;
    if (!isKvError(error)) return `threw a non-KvError: ${String(error)}`;
    if (kind === 'LOCK') return `a damaged LOCK file failed the open: ${error.code} ${error.message}`;
    if (error.code !== 'CORRUPTION') return `threw ${error.code} instead of CORRUPTION: ${error.message}`;
    const name = path.slice(path.lastIndexOf('/') + 1);
    return error.message.includes(name) ? undefined : `CORRUPTION does not name ${name}: ${error.message}`;
  }
  const total = fixture.history.issued.length;
  const floor = writesToKeep(fixture, kind, damage, mode, sizeBytes);
  const matched = fixture.history.matchPrefix(outcome.state, { mustKeep: floor, issued: total });
  if (matched === undefined) return `read a wrong state (allowed: the first ${floor}..${total} writes): ${outcome.state.join(' ')}`;
  const model = fixture.history.modelAfter(matched);
  const expectedGets = KEYS.map((key) => {
    const value = model.get(encoder.encode(key));
    return value === undefined ? undefined : Buffer.from(value).toString('hex');
  });
  return JSON.stringify(outcome.gets) === JSON.stringify(expectedGets) ? undefined : `point reads disagree with the scan of prefix ${matched}`;
}

const position = fc.nat(1_000_000);
const damageArb: Record<Damage['kind'], fc.Arbitrary<Damage>> = {
  flip: fc.array(fc.record({ offset: position, bit: fc.nat(7) }), { minLength: 1, maxLength: 3 }).map((flips) => ({ kind: 'flip' as const, flips })),
  zero: fc.record({ offset: position, length: fc.integer({ min: 1, max: 600 }) }).map((range) => ({ kind: 'zero' as const, ...range })),
  truncate: position.map((sizeBytes) => ({ kind: 'truncate' as const, sizeBytes })),
  delete: fc.constant({ kind: 'delete' as const }),
};

const KINDS: FileKind[] = ['WAL segment', 'page file', 'MANIFEST', 'CURRENT', 'LOCK'];
const MODES: WalRecoveryMode[] = ['tolerateCorruptedTail', 'absoluteConsistency'];
const cells = KINDS.flatMap((kind) => (Object.keys(damageArb) as Damage['kind'][]).flatMap((damage) => MODES.map((mode) => [kind, damage, mode] as const)));

describe('corruption matrix: every file kind, every damage, two recovery modes', () => {
  it.each(cells)('%s, %s, %s: the right data or CORRUPTION naming the file, never a wrong value', async (kind, damageKind, mode) => {
    const setup = await theFixture();
    expect(setup.files[kind].length).toBeGreaterThan(0);
    await fc.assert(
      fc.asyncProperty(fc.nat(setup.files[kind].length - 1), damageArb[damageKind], async (which, damage) => {
        const path = setup.files[kind][which] as string;
        const vfs = setup.image.crashImage({ mode: 'process-kill' });
        const sizeBytes = (await vfs.stat(path))?.sizeBytes ?? 0;
        await damageFile(vfs, path, damage);
        const violation = violationOf(await openAndRead(vfs, mode), { fixture: setup, kind, path, damage, mode, sizeBytes });
        expect(violation, `${path} ${describeDamage(damage)}`).toBeUndefined();
      }),
      { seed: SEED, numRuns: damageKind === 'delete' ? 1 : RUNS_PER_CELL },
    );
  });
});

/** Three flushed-or-logged rounds: `a` in the first page file, `b` in the second, `c` in the WAL. */
async function threeGenerations(): Promise<{ image: MemoryVfs; names: string[] }> {
  const vfs = new MemoryVfs();
  const db = await DB.open('/db', { vfs });
  await db.put('k', 'a', { sync: true });
  await db.put('only-a', 'a', { sync: true });
  await db.flush();
  await db.put('k', 'b', { sync: true });
  await db.put('only-b', 'b', { sync: true });
  await db.flush();
  await db.put('k', 'c', { sync: true });
  const image = vfs.crashImage({ mode: 'process-kill' });
  await db.close();
  return { image, names: await image.list('/db') };
}

/** The offset and length of the last record of a manifest (its newest edit). */
async function lastManifestEdit(vfs: MemoryVfs, name: string): Promise<{ offset: number; length: number }> {
  const reader = await WalReader.open(vfs, `/db/${name}`, { logNumber: Number(name.slice('MANIFEST-'.length)) });
  let last = { offset: 0, length: 0 };
  for await (const record of reader) last = record.position;
  await reader.close();
  return last;
}

describe('regressions found by the corruption matrix', () => {
  it('reports a missing live WAL segment as CORRUPTION instead of serving the older values', async () => {
    // Deleting the segment the manifest names as live lost every write in it, silently:
    // get('k') returned the stale 'b' from a page file.
    const { image, names } = await threeGenerations();
    const wal = names.find((name) => name.endsWith('.log')) as string;
    await damageFile(image, `/db/${wal}`, { kind: 'delete' });
    await expect(DB.open('/db', { vfs: image })).rejects.toMatchObject({ code: 'CORRUPTION', message: expect.stringContaining(wal) });
  });

  it.each([
    ['a flipped bit in the last manifest edit', (edit: { offset: number; length: number }): Damage => ({ kind: 'flip', flips: [{ offset: edit.offset + edit.length - 1, bit: 0 }] })],
    ['the manifest cut inside its last edit', (edit: { offset: number; length: number }): Damage => ({ kind: 'truncate', sizeBytes: edit.offset + 3 })],
  ] as const)('reports CORRUPTION, and keeps the page file, when %s drops a flush whose WAL segment is gone', async (_name, damageOf) => {
    // The last edit recorded the second page file (the 'b' writes) and retired their WAL
    // segment. Dropped as a torn tail, it left a hole: 'only-b' vanished while the later 'c'
    // stayed, and open deleted the second page file as an orphan, so the loss was final.
    const { image, names } = await threeGenerations();
    const manifest = names.find((name) => name.startsWith('MANIFEST-')) as string;
    const tables = names.filter((name) => name.endsWith('.sst'));
    await damageFile(image, `/db/${manifest}`, damageOf(await lastManifestEdit(image, manifest)));
    const outcome = await DB.open('/db', { vfs: image }).then(
      async (db) => {
        const seen = { k: await db.get('k'), onlyB: await db.get('only-b') };
        await db.close();
        return seen;
      },
      (error: unknown) => error,
    );
    expect(outcome).toMatchObject({ code: 'CORRUPTION' });
    expect(await image.list('/db')).toEqual(expect.arrayContaining(tables));
  });
});

describe('a damaged LOCK file on the real file system', () => {
  // Goal: a LOCK file left behind by a dead process and then damaged never keeps the database
  // from opening. Strategy: the lock file of a process that has exited (its real pid and start
  // time), with bits flipped, cut, or replaced by garbage, and an mtime older than the grace
  // period for half-written lock files. Invariants: DB.open succeeds and reads the data back.
  it('opens whatever happened to the dead holder\'s lock file', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kv-corrupt-lock-'));
    try {
      const dir = join(root, 'db');
      const db = await DB.open(dir);
      await db.put('k', 'v', { sync: true });
      await db.close();
      const child = spawnSync(process.execPath, ['-e', `process.stdout.write(process.pid + '\\n' + require('fs').readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[19] + '\\n')`], { encoding: 'utf8' });
      const deadHolder = encoder.encode(child.stdout);
      expect(child.stdout).toMatch(/^\d+\n\d+\n$/);
      const content = fc.oneof(
        fc.array(fc.record({ offset: fc.nat(deadHolder.length - 1), bit: fc.nat(7) }), { minLength: 1, maxLength: 3 }).map((flips) => {
          const bytes = deadHolder.slice();
          for (const { offset, bit } of flips) bytes[offset] = (bytes[offset] as number) ^ (1 << bit);
          return bytes;
        }),
        fc.nat(deadHolder.length).map((length) => deadHolder.slice(0, length)),
        fc.uint8Array({ maxLength: 300 }),
      );
      await fc.assert(
        fc.asyncProperty(content, async (bytes) => {
          const lock = join(dir, 'LOCK');
          writeFileSync(lock, bytes);
          const longAgo = new Date(Date.now() - 60_000);
          utimesSync(lock, longAgo, longAgo);
          const again = await DB.open(dir);
          expect(new TextDecoder().decode(await again.get('k'))).toBe('v');
          await again.close();
        }),
        { seed: SEED, numRuns: 40 },
      );
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
