import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB, KEY_SIZE_MAX_BYTES } from '../src/index.js';
import type { KvErrorCode } from '../src/index.js';
import { collect } from './support/sorted-model.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

async function expectCode(promise: Promise<unknown> | (() => unknown), code: KvErrorCode): Promise<void> {
  const run = typeof promise === 'function' ? Promise.resolve().then(promise) : promise;
  await expect(run).rejects.toMatchObject({ name: 'KvError', code });
}

async function openMemory(vfs = new MemoryVfs()): Promise<DB> {
  return DB.open('/db', { vfs });
}

describe('reads and writes', () => {
  it('puts, gets, overwrites and deletes', async () => {
    const db = await openMemory();
    await db.put('a', '1');
    await db.put(bytes('b'), bytes('2'));
    expect(text(await db.get('a'))).toBe('1');
    expect(text(await db.get(bytes('b')))).toBe('2');
    await db.put('a', 'one');
    expect(text(await db.get('a'))).toBe('one');
    await db.delete('a');
    expect(await db.get('a')).toBeUndefined();
    await db.delete('never-written');
    expect(await db.get('never-written')).toBeUndefined();
    await db.close();
  });

  it('stores an empty value as a 0-byte array and accepts an empty key', async () => {
    const db = await openMemory();
    await db.put('empty', new Uint8Array(0));
    await db.put('', 'empty key');
    expect(await db.get('empty')).toEqual(new Uint8Array(0));
    expect(text(await db.get(''))).toBe('empty key');
    await db.close();
  });

  it('copies input bytes and returns bytes the caller owns', async () => {
    const db = await openMemory();
    const key = bytes('key');
    const value = bytes('value');
    await db.put(key, value);
    key[0] = 0;
    value[0] = 0;
    const first = await db.get('key');
    expect(text(first)).toBe('value');
    first?.fill(0);
    expect(text(await db.get('key'))).toBe('value');
    expect(first).toBeInstanceOf(Uint8Array);
    await db.close();
  });

  it('copies input bytes at the call, even while the write waits in the queue', async () => {
    const db = await openMemory();
    const key = bytes('k0');
    const value = bytes('v0');
    const pending = Array.from({ length: 50 }, (_, i) => db.put(`filler${i}`, 'x'.repeat(1000), { sync: i % 2 === 0 }));
    const write = db.write([{ type: 'put', key, value }]);
    key[1] = 0x39;
    value[1] = 0x39;
    await Promise.all([...pending, write]);
    expect(text(await db.get('k0'))).toBe('v0');
    expect(await db.get('k9')).toBeUndefined();
    await db.close();
  });

  it('applies a batch atomically with the later op on a key winning', async () => {
    const db = await openMemory();
    await db.put('gone', 'x');
    await db.write([
      { type: 'put', key: 'k', value: 'first' },
      { type: 'put', key: 'k', value: 'second' },
      { type: 'del', key: 'gone' },
      { type: 'put', key: 'dead', value: 'x' },
      { type: 'del', key: 'dead' },
    ]);
    expect(text(await db.get('k'))).toBe('second');
    expect(await db.get('gone')).toBeUndefined();
    expect(await db.get('dead')).toBeUndefined();
    await db.write([]);
    await db.close();
  });

  it('rejects a whole batch with one bad op before writing anything', async () => {
    const db = await openMemory();
    await expectCode(db.write([{ type: 'put', key: 'ok', value: 'v' }, { type: 'put', key: 'bad' } as never]), 'INVALID_ARGUMENT');
    await expectCode(db.write([{ type: 'merge', key: 'x' } as never]), 'INVALID_ARGUMENT');
    await expectCode(db.write('nope' as never), 'INVALID_ARGUMENT');
    expect(await db.get('ok')).toBeUndefined();
    await db.close();
  });

  it.each([
    ['a number key', () => [42, 'v']],
    ['a null key', () => [null, 'v']],
    ['an object value', () => ['k', { a: 1 }]],
    ['an undefined value', () => ['k', undefined]],
    ['an oversized key', () => [new Uint8Array(KEY_SIZE_MAX_BYTES + 1), 'v']],
  ])('rejects %s with INVALID_ARGUMENT', async (_name, args) => {
    const db = await openMemory();
    const [k, v] = args();
    await expectCode(db.put(k as never, v as never), 'INVALID_ARGUMENT');
    await db.close();
  });

  it('rejects a get of a non-key with INVALID_ARGUMENT', async () => {
    const db = await openMemory();
    await expectCode(db.get(42 as never), 'INVALID_ARGUMENT');
    await expectCode(db.get(undefined as never), 'INVALID_ARGUMENT');
    await db.close();
  });

  it('accepts a key of exactly the maximum size', async () => {
    const db = await openMemory();
    const key = new Uint8Array(KEY_SIZE_MAX_BYTES).fill(7);
    await db.put(key, 'max');
    expect(text(await db.get(key))).toBe('max');
    await db.close();
  });

  it('rejects bad write options', async () => {
    const db = await openMemory();
    await expectCode(db.put('k', 'v', { sync: 'yes' } as never), 'INVALID_ARGUMENT');
    await expectCode(db.put('k', 'v', 5 as never), 'INVALID_ARGUMENT');
    await db.close();
  });
});

describe('iterators', () => {
  async function seeded(): Promise<DB> {
    const db = await openMemory();
    await db.write(['a', 'b', 'c', 'd', 'e'].map((k) => ({ type: 'put' as const, key: k, value: k.toUpperCase() })));
    await db.delete('c');
    return db;
  }
  const keysOf = (entries: [Uint8Array, Uint8Array][]): string[] => entries.map(([k]) => text(k) ?? '');

  it('honours gt, gte, lt, lte, reverse and limit', async () => {
    const db = await seeded();
    expect(keysOf(await collect(db.iterator()))).toEqual(['a', 'b', 'd', 'e']);
    expect(keysOf(await collect(db.iterator({ gt: 'a', lt: 'e' })))).toEqual(['b', 'd']);
    expect(keysOf(await collect(db.iterator({ gte: 'b', lte: 'd', reverse: true })))).toEqual(['d', 'b']);
    expect(keysOf(await collect(db.iterator({ reverse: true, limit: 2 })))).toEqual(['e', 'd']);
    expect(keysOf(await collect(db.iterator({ gt: 'b', gte: 'a' })))).toEqual(['d', 'e']);
    expect(keysOf(await collect(db.iterator({ limit: 0 })))).toEqual([]);
    expect(keysOf(await collect(db.range('b', 'd')))).toEqual(['b', 'd']);
    expect(keysOf(await collect(db.iterator({ gt: 'e' })))).toEqual([]);
    expect(keysOf(await collect(db.iterator({ lt: 'a', reverse: true })))).toEqual([]);
    await expectCode(() => db.iterator({ limit: -2 }), 'INVALID_ARGUMENT');
    await expectCode(() => db.iterator({ gt: 5 as never }), 'INVALID_ARGUMENT');
    await db.close();
  });

  it('reads the state at its creation while writes go on', async () => {
    const db = await seeded();
    const iterator = db.iterator();
    await db.put('aa', 'new');
    await db.delete('b');
    await db.put('z', 'new');
    expect(keysOf(await collect(iterator))).toEqual(['a', 'b', 'd', 'e']);
    const reverse = db.iterator({ reverse: true });
    await db.put('b', 'back');
    expect(keysOf(await collect(reverse))).toEqual(['z', 'e', 'd', 'aa', 'a']);
    await db.close();
  });

  it('stops on break and fails with NOT_OPEN after close', async () => {
    const db = await seeded();
    const seen: string[] = [];
    for await (const [k] of db.iterator()) {
      seen.push(text(k) ?? '');
      if (seen.length === 2) break;
    }
    expect(seen).toEqual(['a', 'b']);
    const open = db.iterator();
    await db.close();
    await expectCode(open.next(), 'NOT_OPEN');
  });
});

describe('lifecycle', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });
  const tempDir = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-db-'));
    dirs.push(dir);
    return dir;
  };

  it('survives close and reopen on the real file system', async () => {
    const dir = tempDir();
    const db = await DB.open(dir);
    await db.put('persist', 'yes');
    await db.write([{ type: 'put', key: 'batch', value: 'too' }], { sync: true });
    await db.close();
    const again = await DB.open(dir, { createIfMissing: false });
    expect(text(await again.get('persist'))).toBe('yes');
    expect(text(await again.get('batch'))).toBe('too');
    await again.close();
  });

  it('gives NOT_OPEN after close and tolerates a second close', async () => {
    const db = await openMemory();
    await db.close();
    await db.close();
    await expectCode(db.put('k', 'v'), 'NOT_OPEN');
    await expectCode(db.get('k'), 'NOT_OPEN');
    await expectCode(db.delete('k'), 'NOT_OPEN');
    await expectCode(() => db.iterator(), 'NOT_OPEN');
    expect(db.isOpen).toBe(false);
  });

  it('finishes writes already in flight when closed', async () => {
    const vfs = new MemoryVfs();
    const db = await openMemory(vfs);
    const writes = Array.from({ length: 20 }, (_, i) => db.put(`k${i}`, `v${i}`));
    await db.close();
    await Promise.all(writes);
    const again = await openMemory(vfs);
    expect(text(await again.get('k19'))).toBe('v19');
    await again.close();
  });

  it('gives LOCKED to a second open of the same directory, in memory and on disk', async () => {
    const vfs = new MemoryVfs();
    const first = await openMemory(vfs);
    await expectCode(openMemory(vfs), 'LOCKED');
    await first.close();
    (await openMemory(vfs)).close();

    const dir = tempDir();
    const onDisk = await DB.open(dir);
    await expectCode(DB.open(dir), 'LOCKED');
    await onDisk.close();
    await (await DB.open(dir)).close();
  });

  it('honours createIfMissing and errorIfExists', async () => {
    const vfs = new MemoryVfs();
    await expectCode(DB.open('/missing', { vfs, createIfMissing: false }), 'INVALID_ARGUMENT');
    const db = await DB.open('/db', { vfs, errorIfExists: true });
    await db.close();
    await expectCode(DB.open('/db', { vfs, errorIfExists: true }), 'INVALID_ARGUMENT');
    await (await DB.open('/db', { vfs })).close();
  });

  it('rejects a file path and invalid options, and ignores unknown options', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'file'), 'x');
    await expectCode(DB.open(join(dir, 'file')), 'INVALID_ARGUMENT');
    const vfs = new MemoryVfs();
    await expectCode(DB.open('/db', { vfs, memtableSize: -1 }), 'INVALID_ARGUMENT');
    await expectCode(DB.open('/db', { vfs, walRecoveryMode: 'yolo' as never }), 'INVALID_ARGUMENT');
    await expectCode(DB.open('/db', { vfs, createIfMissing: 'yes' as never }), 'INVALID_ARGUMENT');
    await expectCode(DB.open('/db', 'opts' as never), 'INVALID_ARGUMENT');
    const db = await DB.open('/db', { vfs, someFutureOption: true } as never);
    await db.close();
  });
});
