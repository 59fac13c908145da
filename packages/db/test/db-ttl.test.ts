import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import { collect } from './support/sorted-model.js';

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

/** A clock the test moves by hand. */
function manualClock(start = 1_000_000): { now: () => number; advance: (ms: number) => void } {
  let time = start;
  return { now: () => time, advance: (ms) => (time += ms) };
}

describe('per-key TTL', () => {
  it('hides an entry from its expiry on, in the memtable, in page files and after compaction', async () => {
    const clock = manualClock();
    const db = await DB.open('/db', { vfs: new MemoryVfs(), clock: clock.now, memtableSize: 4096 });
    await db.put('session', 'token', { ttl: 100 });
    await db.put('forever', 'stays');
    expect(text(await db.get('session'))).toBe('token');
    clock.advance(99);
    expect(text(db.getSync('session'))).toBe('token');
    clock.advance(1);
    expect(await db.get('session')).toBeUndefined();
    expect(await db.has('session')).toBe(false);
    await db.flush();
    expect(await db.getMany(['session', 'forever'])).toEqual([undefined, new TextEncoder().encode('stays')]);
    expect((await collect(db.iterator())).map(([k]) => text(k))).toEqual(['forever']);
    await db.compactRange();
    const afterCompaction = db.stats().levels.reduce((sum, level) => sum + level.files, 0);
    expect(afterCompaction).toBeGreaterThan(0);
    expect(await db.get('session')).toBeUndefined();
    await db.close();
  });

  it('lets an expired entry hide the older version below it, and a later put revive the key', async () => {
    const clock = manualClock();
    const db = await DB.open('/db', { vfs: new MemoryVfs(), clock: clock.now });
    await db.put('k', 'old');
    await db.flush();
    await db.put('k', 'short-lived', { ttl: 10 });
    clock.advance(10);
    expect(await db.get('k')).toBeUndefined();
    await db.compactRange();
    expect(await db.get('k')).toBeUndefined();
    await db.put('k', 'new');
    expect(text(await db.get('k'))).toBe('new');
    await db.close();
  });

  it('drops expired entries in a bottommost compaction', async () => {
    const clock = manualClock();
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, clock: clock.now });
    await db.write(Array.from({ length: 200 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(3, '0')}`, value: 'x'.repeat(100), ttl: 50 })));
    await db.compactRange();
    const before = db.stats().levels.reduce((sum, level) => sum + level.bytes, 0);
    clock.advance(50);
    await db.compactRange();
    const after = db.stats().levels.reduce((sum, level) => sum + level.bytes, 0);
    expect(before).toBeGreaterThan(0);
    expect(after).toBe(0);
    await db.close();
  });

  it('keeps the expiry across a reopen (it is stored with the entry)', async () => {
    const clock = manualClock();
    const vfs = new MemoryVfs();
    let db = await DB.open('/db', { vfs, clock: clock.now });
    await db.put('k', 'v', { ttl: 1000 });
    await db.close();
    db = await DB.open('/db', { vfs, clock: clock.now });
    expect(text(await db.get('k'))).toBe('v');
    clock.advance(1000);
    expect(await db.get('k')).toBeUndefined();
    await db.close();
  });

  it('refuses a bad ttl and ttl in fixed-width mode with INVALID_ARGUMENT', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs() });
    for (const ttl of [0, -1, 1.5, Number.NaN, '10', 2 ** 60]) {
      await expect(db.put('k', 'v', { ttl: ttl as number })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    }
    await expect(db.write([{ type: 'put', key: 'k', value: 'v', ttl: -5 }])).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await db.close();
    const fixed = await DB.open('/fixed', { vfs: new MemoryVfs(), keySize: 1, valueSize: 1 });
    await expect(fixed.put('k', 'v', { ttl: 10 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await fixed.close();
  });

  it('is never visible after expiry, at any level of the tree', async () => {
    // Goal: an expired entry never reads back, wherever it lives (active or frozen memtable,
    // level-0 file, deeper levels after compaction), and a live one always does.
    // Strategy: random puts with and without ttl over 6 keys, deletes, clock advances,
    // flushes, compactions and reopens; a 4 KiB memtable so entries spread over levels.
    // Invariants: get, getMany and a full scan all equal the model, which keeps each key's
    // value and expiry time and drops it once the clock reaches that time.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('put' as const), key: fc.nat(5), ttl: fc.option(fc.integer({ min: 1, max: 50 }), { nil: undefined }) }),
      fc.record({ kind: fc.constant('del' as const), key: fc.nat(5) }),
      fc.record({ kind: fc.constant('advance' as const), ms: fc.integer({ min: 1, max: 30 }) }),
      fc.constantFrom({ kind: 'flush' as const }, { kind: 'compact' as const }, { kind: 'reopen' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 40 }), async (steps) => {
        const clock = manualClock();
        const vfs = new MemoryVfs();
        const options = { vfs, clock: clock.now, memtableSize: 4096, pageSize: 1024 };
        let db = await DB.open('/db', options);
        const model = new Map<string, { value: string; expiresAt: number }>();
        const live = (): Map<string, string> => new Map([...model].filter(([, entry]) => entry.expiresAt > clock.now()).map(([k, entry]) => [k, entry.value]));
        try {
          for (const [index, s] of steps.entries()) {
            if (s.kind === 'put') {
              const value = `v${index}-${'p'.repeat(index * 13 % 300)}`;
              await db.put(`key${s.key}`, value, s.ttl === undefined ? {} : { ttl: s.ttl });
              model.set(`key${s.key}`, { value, expiresAt: s.ttl === undefined ? Infinity : clock.now() + s.ttl });
            } else if (s.kind === 'del') {
              await db.delete(`key${s.key}`);
              model.delete(`key${s.key}`);
            } else if (s.kind === 'advance') clock.advance(s.ms);
            else if (s.kind === 'flush') await db.flush();
            else if (s.kind === 'compact') await db.compactRange();
            else {
              await db.close();
              db = await DB.open('/db', options);
            }
            const expected = live();
            const keys = Array.from({ length: 6 }, (_, k) => `key${k}`);
            expect((await db.getMany(keys)).map(text)).toEqual(keys.map((k) => expected.get(k)));
            const scanned = (await collect(db.iterator())).map(([k, v]) => [text(k), text(v)]);
            expect(scanned).toEqual([...expected].sort(([a], [b]) => (a < b ? -1 : 1)));
          }
        } finally {
          await db.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
