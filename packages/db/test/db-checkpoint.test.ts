import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import { SortedModel, collect, show } from './support/sorted-model.js';

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));
const key = (i: number): string => `key${String(i).padStart(6, '0')}`;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('checkpoint', () => {
  it('writes an openable copy holding every write before the call, while writes go on', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 4096, compaction: { level0CompactionTrigger: 2 } });
    const model = new SortedModel();
    for (let i = 0; i < 600; i++) {
      const op = i % 7 === 3 ? { type: 'del' as const, key: enc(key(i - 1)) } : { type: 'put' as const, key: enc(key(i % 400)), value: enc(`v${i}`) };
      await db.write([op]);
      model.apply([op]);
    }
    const before = model.clone();
    const later = Array.from({ length: 200 }, (_, i) => db.put(key(1000 + i), 'later'));
    await db.checkpoint('/copy');
    await Promise.all(later);
    await db.close();
    const copy = await DB.open('/copy', { vfs, createIfMissing: false });
    const entries = await collect(copy.iterator({ lt: key(1000) }));
    expect(show(entries)).toEqual(show(before.scan()));
    await copy.put('independent', 'yes');
    await copy.close();
    const original = await DB.open('/db', { vfs });
    expect(await original.get('independent')).toBeUndefined();
    await original.close();
  });

  it('refuses a target that exists and is not empty', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('k', 'v');
    await vfs.mkdir('/taken');
    const file = await vfs.open('/taken/x', { create: true });
    await file.close();
    await expect(db.checkpoint('/taken')).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await db.checkpoint('/fresh');
    await db.close();
    const copy = await DB.open('/fresh', { vfs });
    expect(text(await copy.get('k'))).toBe('v');
    await copy.close();
  });
});

describe('checkpoint on the real file system', () => {
  it('hard-links page files into the copy', async () => {
    const root = mkdtempSync(join(tmpdir(), 'kv-checkpoint-'));
    try {
      const db = await DB.open(join(root, 'db'), { memtableSize: 4096 });
      for (let i = 0; i < 300; i++) await db.put(key(i), 'x'.repeat(40));
      await db.checkpoint(join(root, 'copy'));
      await db.close();
      const table = readdirSync(join(root, 'copy')).find((name) => name.endsWith('.sst')) ?? '';
      expect(statSync(join(root, 'copy', table)).nlink).toBeGreaterThanOrEqual(2);
      const copy = await DB.open(join(root, 'copy'));
      expect(text(await copy.get(key(299)))).toBe('x'.repeat(40));
      await copy.close();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

describe('destroy', () => {
  it('removes a closed database, keeps foreign files, and is LOCKED while open', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 4096 });
    for (let i = 0; i < 200; i++) await db.put(key(i), 'x'.repeat(50));
    await db.flush();
    await expect(DB.destroy('/db', { vfs })).rejects.toMatchObject({ code: 'LOCKED' });
    await db.close();
    const foreign = await vfs.open('/db/notes.txt', { create: true });
    await foreign.close();
    await DB.destroy('/db', { vfs });
    expect(await vfs.list('/db')).toEqual(['notes.txt']);
    await vfs.unlink('/db/notes.txt');
    await DB.destroy('/db', { vfs });
    expect(await vfs.stat('/db')).toBeUndefined();
    await (await DB.open('/empty', { vfs })).close();
    await DB.destroy('/empty', { vfs });
    expect(await vfs.stat('/empty')).toBeUndefined();
    await DB.destroy('/never-existed', { vfs });
  });
});
