import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '@kv/vfs';
import { DB } from '../src/index.js';

async function damagedDatabase(): Promise<{ vfs: MemoryVfs; damagedFile: string }> {
  const vfs = new MemoryVfs();
  const db = await DB.open('/db', { vfs, pageSize: 1024 });
  await db.write(Array.from({ length: 300 }, (_, i) => ({ type: 'put' as const, key: `k${String(i).padStart(4, '0')}`, value: 'v'.repeat(50) })));
  await db.compactRange();
  await db.put('second-file', 'x');
  await db.flush();
  await db.close();
  const files = (await vfs.list('/db')).filter((name) => name.endsWith('.sst')).sort();
  const damagedFile = `/db/${files[0] as string}`;
  const bytes = await vfs.readFile(damagedFile);
  bytes[1500] = (bytes[1500] ?? 0) ^ 0x40;
  const file = await vfs.open(damagedFile, { write: true });
  await file.write({ data: bytes.subarray(1500, 1501), position: 1500 });
  await file.sync();
  await file.close();
  return { vfs, damagedFile };
}

describe('verify and paranoidChecks', () => {
  it('verify() reports the damaged file and page count, and a clean database as clean', async () => {
    const { vfs, damagedFile } = await damagedDatabase();
    const db = await DB.open('/db', { vfs });
    const report = await db.verify();
    expect(report.filesChecked).toBe(2);
    expect(report.pagesChecked).toBeGreaterThan(0);
    expect(report.damaged).toEqual([expect.objectContaining({ file: damagedFile, code: 'CORRUPTION' })]);
    await db.close();
    const clean = await DB.open('/clean', { vfs });
    await clean.put('a', 'b');
    await clean.flush();
    expect((await clean.verify()).damaged).toEqual([]);
    await clean.close();
  });

  it('paranoidChecks fails the open with CORRUPTION naming the file; without it the open succeeds', async () => {
    const { vfs, damagedFile } = await damagedDatabase();
    await expect(DB.open('/db', { vfs, paranoidChecks: true })).rejects.toMatchObject({ code: 'CORRUPTION', message: expect.stringContaining(damagedFile) });
    await expect(DB.open('/db', { vfs, readOnly: true, paranoidChecks: true })).rejects.toMatchObject({ code: 'CORRUPTION' });
    const db = await DB.open('/db', { vfs });
    expect(await db.get('second-file')).toBeDefined();
    await db.close();
  });
});
