import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';
import type { ReadOnlyDB } from '../src/index.js';
import { collect } from './support/sorted-model.js';

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

describe('read-only open beside a writer in the same process', () => {
  it('sees the state at open, moves on refresh, writes nothing and takes no lock', async () => {
    const vfs = new MemoryVfs();
    const writer = await DB.open('/db', { vfs, memtableSize: 4096 });
    await writer.write(Array.from({ length: 100 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(3, '0')}`, value: 'v'.repeat(100) })));
    await writer.compactRange();
    await writer.put('in-wal-only', 'yes');
    const before = vfs.operationCount;
    const reader = await DB.open('/db', { vfs, readOnly: true });
    expect(text(await reader.get('in-wal-only'))).toBe('yes');
    expect(await collect(reader.iterator())).toHaveLength(101);
    expect(vfs.operationCount).toBe(before);

    await writer.put('later', 'x');
    await writer.clear({ lt: 'k050' });
    await writer.flush();
    await writer.compactRange();
    expect(await reader.get('later')).toBeUndefined();
    expect(await collect(reader.iterator())).toHaveLength(101);
    await reader.refresh();
    expect(text(await reader.get('later'))).toBe('x');
    // 'in-wal-only' sorts before 'k050', so the clear took it too.
    expect(await collect(reader.iterator())).toHaveLength(51);

    for (const write of [() => reader.put('a', 'b'), () => reader.delete('a'), () => reader.write([]), () => reader.clear(), () => reader.flush()]) {
      await expect(write()).rejects.toMatchObject({ code: 'READ_ONLY' });
    }
    await reader.close();
    await writer.close();
    expect(vfs.operationCount).toBeGreaterThan(before);
  });

  it('refuses to refresh under a live snapshot, and a directory without a database', async () => {
    const vfs = new MemoryVfs();
    const writer = await DB.open('/db', { vfs });
    await writer.put('a', '1');
    const reader = await DB.open('/db', { vfs, readOnly: true });
    const snapshot = reader.snapshot();
    await expect(reader.refresh()).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
    snapshot.release();
    await reader.refresh();
    await reader.close();
    await writer.close();
    await expect(DB.open('/missing', { vfs, readOnly: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await vfs.mkdir('/empty');
    await expect(DB.open('/empty', { vfs, readOnly: true })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
  });
});

describe('read-only opens while a writer runs in another process', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kv-read-only-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('every open and refresh sees a state some prefix of the writes produced', async () => {
    // Goal: a reader in this process never sees a torn or mixed state of a writer that is
    // flushing, compacting and deleting files in another process.
    // Strategy: the child writes batch after batch (see child/batch-writer.mjs); this process
    // opens read-only and refreshes 40 times, then opens anew 10 times, while it runs.
    // Invariants: with counter = c, the items present are exactly c-49 .. c; c never goes back.
    const child = spawn(process.execPath, [new URL('./child/batch-writer.mjs', import.meta.url).pathname, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const lines = createInterface({ input: child.stdout });
      for await (const line of lines) if (line === 'ready') break;
      let last = -1;
      const check = async (reader: ReadOnlyDB): Promise<void> => {
        const counter = Number(text(await reader.get('counter')));
        const items = (await collect(reader.iterator({ gte: 'item:', lt: 'item;', values: false }))).map(([k]) => Number(text(k)?.slice(5)));
        const expected = Array.from({ length: Math.min(50, counter + 1) }, (_, i) => Math.max(0, counter - 49) + i);
        expect(items).toEqual(expected);
        expect(counter).toBeGreaterThanOrEqual(last);
        last = counter;
      };
      const reader = await DB.open(dir, { readOnly: true });
      for (let i = 0; i < 40; i++) {
        await check(reader);
        await new Promise((resolve) => setTimeout(resolve, 10));
        await reader.refresh();
      }
      await reader.close();
      for (let i = 0; i < 10; i++) {
        const fresh = await DB.open(dir, { readOnly: true });
        await check(fresh);
        await fresh.close();
      }
      expect(last).toBeGreaterThan(0);
    } finally {
      child.kill('SIGKILL');
    }
  }, 120_000);
});
