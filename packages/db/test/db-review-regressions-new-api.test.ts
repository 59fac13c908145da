import { describe, expect, it } from 'vitest';
import { Manifest, readManifest } from '@kv/manifest';
import { MemoryVfs } from '@kv/vfs';
import { DB, VALUE_SIZE_MAX_BYTES } from '../src/index.js';

const text = (value: Uint8Array | undefined): string | undefined => (value === undefined ? undefined : new TextDecoder().decode(value));

// Regressions found by a review of range deletions, TTL, read-only opens and events.
describe('review regressions: range deletions, TTL, read-only opens, events', () => {
  it('clear({ limit }) deletes exactly the first keys as of the call, not a put issued before it and still in flight', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs() });
    await db.put('b', 'B');
    // Issued in this order, as abstract-level callers do: put('a') is sequenced before the clear.
    const put = db.put('a', 'A');
    const clear = db.clear({ limit: 1 });
    await Promise.all([put, clear]);
    // limit 1 deletes exactly one key of {a, b}; one must remain.
    const remaining = [text(await db.get('a')), text(await db.get('b'))].filter((v) => v !== undefined);
    expect(remaining.length).toBe(1);
    await db.close();
  });

  it('refuses a value with a ttl that would not fit the page file once its expiry is added (was acknowledged, then the database could not reopen)', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 4096 });
    await expect(db.put('big', new Uint8Array(VALUE_SIZE_MAX_BYTES), { ttl: 1_000_000 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    await db.put('big', new Uint8Array(VALUE_SIZE_MAX_BYTES - 8), { ttl: 1_000_000 });
    await db.close();
    const again = await DB.open('/db', { vfs });
    expect((await again.get('big'))?.length).toBe(VALUE_SIZE_MAX_BYTES - 8);
    await again.close();
  });

  it('repair after losing CURRENT keeps the range deletions of the newest readable manifest', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    for (let i = 0; i < 10; i++) await db.put(`k${i}`, `v${i}`);
    await db.flush();
    await db.write([{ type: 'delRange', start: 'k2', end: 'k5' }]);
    await db.flush();
    expect(await db.get('k3')).toBeUndefined();
    await db.close();
    // Only CURRENT is lost; the MANIFEST file holding the range tombstone is intact. A point
    // delete survives this (it is in a page file); a range deletion does not.
    await vfs.unlink('/db/CURRENT');
    await DB.repair('/db', { vfs });
    const repaired = await DB.open('/db', { vfs });
    expect(text(await repaired.get('k3'))).toBeUndefined();
    await repaired.close();
  });

  it('a range tombstone over the middle of a wide file leaves the manifest once a compaction of every file under it keeps nothing it hides', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs, memtableSize: 4096 });
    await db.put('a', '1');
    await db.put('m', '2');
    await db.put('z', '3');
    await db.compactRange();
    for (let i = 0; i < 50; i++) {
      await db.write([{ type: 'delRange', start: `m${i}`, end: `m${i}~` }]);
    }
    await db.delete('m');
    await db.compactRange();
    await db.compactRange();
    const version = (db as unknown as { manifest: { current: { rangeTombstones: readonly unknown[] } } }).manifest.current;
    // Nothing older than these tombstones remains inside their ranges: they hide nothing.
    expect(version.rangeTombstones.length).toBe(0);
    await db.close();
  });

  it('a read during ReadOnlyDB.refresh() sees the old state or the new one, never new files at the old sequence number', async () => {
    const vfs = new MemoryVfs();
    const writer = await DB.open('/db', { vfs });
    await writer.put('k', 'v1');
    await writer.compactRange();
    const reader = await DB.open('/db', { vfs, readOnly: true });
    expect(text(reader.getSync('k'))).toBe('v1');
    await writer.put('k', 'v2');
    await writer.compactRange(); // v1 is gone from the page files
    const seen = new Set<string | undefined>();
    let done = false;
    const refresh = reader.refresh().finally(() => (done = true));
    while (!done) {
      seen.add(text(reader.getSync('k'))); // e.g. a request served while the view refreshes
      await Promise.resolve();
    }
    await refresh;
    // Every read must see the old state (v1) or the new one (v2), never neither.
    expect([...seen].filter((value) => value !== 'v1' && value !== 'v2')).toEqual([]);
    await reader.close();
    await writer.close();
  });

  it('an event listener that throws does not stop flushing', async () => {
    const db = await DB.open('/db', { vfs: new MemoryVfs() });
    let thrown = false;
    db.on('flush', () => {
      if (thrown) return;
      thrown = true;
      throw new Error('a bug in a metrics listener');
    });
    await db.put('a', '1');
    await db.flush().catch(() => undefined); // the flush itself completed; the listener threw
    await db.put('b', '2');
    await expect(db.flush()).resolves.toBeUndefined(); // rejected with a fatal IO_ERROR before the fix
    await db.close();
  });

  it('a checkpoint written by the previous build (7c83322), which recorded a WAL segment it did not copy, still opens', async () => {
    const vfs = new MemoryVfs();
    const db = await DB.open('/db', { vfs });
    for (let i = 0; i < 10; i++) await db.put(`k${i}`, `v${i}`);
    await db.flush();
    await db.close();
    // The checkpoint exactly as 7c83322's writeCheckpoint wrote it: page files linked, then a
    // manifest of the source version with only nextFileNumber changed (logNumber kept, no WAL
    // segment copied). A repaired database of that build looks the same (logNumber = next).
    // (Also checked against files written by the real 7c83322 build on disk.)
    const source = await readManifest(vfs, '/db');
    const version = source!.version;
    await vfs.mkdir('/ckpt', { recursive: true });
    for (const file of version.files()) {
      const name = `${String(file.fileNumber).padStart(6, '0')}.sst`;
      await vfs.link(`/db/${name}`, `/ckpt/${name}`);
    }
    const manifestNumber = version.nextFileNumber;
    await (await Manifest.create(vfs, '/ckpt', { manifestNumber, version: version.apply({ nextFileNumber: manifestNumber + 1 }) })).close();
    const opened = await DB.open('/ckpt', { vfs });
    expect(text(await opened.get('k3'))).toBe('v3');
    await opened.close();
  });

  it('a put with ttl under a sub-millisecond clock stores a whole-millisecond expiry', async () => {
    // A high-resolution wall clock (performance.timeOrigin + performance.now()) returns fractions.
    const db = await DB.open('/db', { vfs: new MemoryVfs(), clock: () => 1_700_000_000_000.25 });
    await expect(db.put('k', 'v', { ttl: 1000 })).resolves.toBeUndefined(); // an AssertionError before the fix
    await db.close();
  });
});
