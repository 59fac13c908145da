import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import type { RepairReport } from '../src/index.js';
import { SortedModel, collect, show } from './support/sorted-model.js';

const key = (i: number): string => `key${String(i).padStart(6, '0')}`;
const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

/**
 * A database whose data lives in a compacted level and in level 0, with its model. Where the
 * background work leaves the first 900 writes depends on timing; the explicit compaction and
 * the flush of the last 50 make sure at least two page files exist, whatever that timing was.
 */
async function populated(vfs: MemoryVfs): Promise<SortedModel> {
  const db = await DB.open('/db', { vfs, memtableSize: 4096, compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 8192, targetFileSizeBytes: 4096 } });
  const model = new SortedModel();
  for (let i = 0; i < 950; i++) {
    const op = i % 5 === 4 ? { type: 'del' as const, key: enc(key((i * 7) % 300)) } : { type: 'put' as const, key: enc(key((i * 13) % 300)), value: enc(`v${i}`) };
    await db.write([op]);
    model.apply([op]);
    if (i === 899) await db.compactRange();
  }
  await db.flush();
  await db.close();
  return model;
}

async function flipByte(vfs: MemoryVfs, path: string, offset: number): Promise<void> {
  const file = await vfs.open(path, { write: true });
  const byte = new Uint8Array(1);
  await file.read({ buffer: byte, position: offset });
  byte[0] = (byte[0] ?? 0) ^ 0x40;
  await file.write({ data: byte, position: offset });
  await file.close();
}

/** Puts back a file a crash left behind (as it was before the engine deleted it), drops CURRENT and repairs. */
async function repairWithLeftover(vfs: MemoryVfs, name: string, bytes: Uint8Array): Promise<RepairReport> {
  const restored = await vfs.open(`/db/${name}`, { create: true, write: true });
  await restored.write({ data: bytes, position: 0 });
  await restored.close();
  await vfs.unlink('/db/CURRENT');
  return DB.repair('/db', { vfs });
}

/** Every key=value of the repaired database, as text. */
async function repairedContents(vfs: MemoryVfs): Promise<string[]> {
  const db = await DB.open('/db', { vfs });
  const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
  const contents = (await collect(db.iterator())).map(([k, v]) => `${text(k)}=${text(v)}`);
  await db.close();
  return contents;
}

describe('DB.repair', () => {
  it('skips a damaged WAL record and reports the bytes it dropped', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    for (let i = 0; i < 20; i++) await db.put(key(i), `v${i}`);
    const log = (await vfs.list('/db')).find((name) => name.endsWith('.log')) ?? '';
    const killed = vfs.crashImage({ mode: 'process-kill' });
    await db.close();
    await flipByte(killed, `/db/${log}`, 60);
    const report = await DB.repair('/db', { vfs: killed });
    expect(report.walBytesDropped).toBeGreaterThan(0);
    // Skipping resyncs at the next WAL block, so records after the damage in the same block
    // go too; whatever survives must be exactly what was written.
    const repaired = await DB.open('/db', { vfs: killed });
    for (let i = 0; i < 20; i++) {
      const value = await repaired.get(key(i));
      if (value !== undefined) expect(new TextDecoder().decode(value)).toBe(`v${i}`);
    }
    await repaired.close();
  });

  it('rebuilds a database whose CURRENT was lost, keeping every value in the right version', async () => {
    const vfs = new MemoryVfs();
    const model = await populated(vfs);
    await vfs.unlink('/db/CURRENT');
    await expect(DB.open('/db', { vfs })).rejects.toMatchObject({ code: 'CORRUPTION' });
    const report = await DB.repair('/db', { vfs });
    expect(report.tablesLost).toEqual([]);
    expect(report.walBytesDropped).toBe(0);
    expect(report.tablesKept).toBeGreaterThan(1);
    const db = await DB.open('/db', { vfs });
    expect(show(await collect(db.iterator()))).toEqual(show(model.scan()));
    expect(db.stats().levels[0]?.files).toBe(0);
    await db.close();
  });

  it('merges a compaction input a crash left behind with the compaction output that copied it', async () => {
    // A crash after a compaction's manifest edit and before its inputs were deleted leaves
    // page files whose entries are also in the output: the same writes, same seqs.
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('a', 'a1');
    await db.put('c', 'c1');
    await db.flush();
    const firstTable = (await vfs.list('/db')).find((name) => name.endsWith('.sst')) ?? '';
    const leftover = await vfs.readFile(`/db/${firstTable}`);
    await db.put('b', 'b1');
    await db.put('a', 'a2');
    await db.flush();
    await db.compactRange();
    await db.close();
    const report = await repairWithLeftover(vfs, firstTable, leftover);
    expect(report.tablesLost).toEqual([]);
    expect(await repairedContents(vfs)).toEqual(['a=a2', 'b=b1', 'c=c1']);
  });

  it('merges a WAL segment a crash left behind after its flush with the page files that hold its writes', async () => {
    // A crash after a flush's manifest edit and before its WAL segment was deleted leaves the
    // segment's writes both in the segment and in a page file (perhaps compacted since).
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    await db.put('a', 'a1');
    await db.put('b', 'b1');
    const segment = (await vfs.list('/db')).find((name) => name.endsWith('.log')) ?? '';
    const stale = await vfs.readFile(`/db/${segment}`);
    await db.flush();
    await db.put('a', 'a2');
    await db.clear({ gte: 'c', lt: 'd' });
    await db.flush();
    await db.compactRange();
    await db.close();
    await repairWithLeftover(vfs, segment, stale);
    expect(await repairedContents(vfs)).toEqual(['a=a2', 'b=b1']);
  });

  it('rebuilds over a damaged manifest', async () => {
    const vfs = new MemoryVfs();
    const model = await populated(vfs);
    const manifest = (await vfs.list('/db')).find((name) => name.startsWith('MANIFEST-')) ?? '';
    await flipByte(vfs, `/db/${manifest}`, 20);
    await expect(DB.open('/db', { vfs })).rejects.toMatchObject({ code: 'CORRUPTION' });
    await DB.repair('/db', { vfs });
    const db = await DB.open('/db', { vfs });
    expect(show(await collect(db.iterator()))).toEqual(show(model.scan()));
    await db.close();
  });

  it('moves a damaged page file to lost/ and reports it; what remains reads without error', async () => {
    const vfs = new MemoryVfs();
    await populated(vfs);
    const tables = (await vfs.list('/db')).filter((name) => name.endsWith('.sst'));
    const victim = tables[0] ?? '';
    await flipByte(vfs, `/db/${victim}`, 100);
    const report = await DB.repair('/db', { vfs });
    expect(report.tablesLost.map((lost) => lost.name)).toEqual([victim]);
    expect(await vfs.list('/db/lost')).toEqual([victim]);
    const db = await DB.open('/db', { vfs });
    await collect(db.iterator());
    await db.close();
    await expect(DB.repair('/db', { vfs: new MemoryVfs() })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });

  it('leaves a healthy database with the same contents and is LOCKED while it is open', async () => {
    const vfs = new MemoryVfs();
    const model = await populated(vfs);
    await DB.repair('/db', { vfs });
    const db = await DB.open('/db', { vfs });
    expect(show(await collect(db.iterator()))).toEqual(show(model.scan()));
    await expect(DB.repair('/db', { vfs })).rejects.toMatchObject({ code: 'LOCKED' });
    await db.close();
  });
});
