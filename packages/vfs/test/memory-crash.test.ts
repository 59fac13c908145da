import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryVfs } from '../src/index.js';
import type { CrashMode } from '../src/index.js';
import { bytes, readText, rejectionOf, syncBlockingOf, writeText } from './backends.js';

/** A vfs with a durable `/db` directory, the usual starting point of a crash test. */
async function freshDb(): Promise<MemoryVfs> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db');
  await vfs.syncDir('/');
  return vfs;
}

/** Creates `/db/<name>` with `text`, syncs it and its directory. */
async function durableFile(vfs: MemoryVfs, name: string, text: string): Promise<void> {
  const file = await vfs.open(`/db/${name}`, { create: true });
  await file.write({ data: bytes(text), position: 0 });
  await file.sync();
  await file.close();
  await vfs.syncDir('/db');
}

async function appendText(vfs: MemoryVfs, path: string, text: string, sync: boolean): Promise<void> {
  const file = await vfs.open(path, { write: true });
  await file.write({ data: bytes(text), position: await file.size() });
  if (sync) await file.sync();
  await file.close();
}

describe('MemoryVfs crash model', () => {
  it('drops un-synced data on power loss and keeps synced data', async () => {
    const vfs = await freshDb();
    await durableFile(vfs, 'log', 'synced;');
    await appendText(vfs, '/db/log', 'lost', false);
    vfs.crash({ mode: 'power-loss' });
    expect(await readText(vfs, '/db/log')).toBe('synced;');
  });

  it('keeps data made durable by a blocking sync across power loss', async () => {
    const vfs = await freshDb();
    await durableFile(vfs, 'log', 'first;');
    const file = await vfs.open('/db/log', { write: true });
    file.writeSync({ data: new TextEncoder().encode('second;'), position: 6 });
    syncBlockingOf(file)();
    file.writeSync({ data: new TextEncoder().encode('lost'), position: 13 });
    vfs.crash({ mode: 'power-loss' });
    expect(await readText(vfs, '/db/log')).toBe('first;second;');
  });

  it('keeps everything on a process kill, and a later power loss still drops un-synced data', async () => {
    const vfs = await freshDb();
    await durableFile(vfs, 'log', 'synced;');
    await appendText(vfs, '/db/log', 'cached', false);
    await writeText(vfs, '/db/new', 'not dir-synced');
    vfs.crash({ mode: 'process-kill' });
    expect(await readText(vfs, '/db/log')).toBe('synced;cached');
    expect(await readText(vfs, '/db/new')).toBe('not dir-synced');
    vfs.crash({ mode: 'power-loss' });
    expect(await readText(vfs, '/db/log')).toBe('synced;');
    expect(await vfs.stat('/db/new')).toBeUndefined();
  });

  it('loses a synced file whose directory was not synced', async () => {
    const vfs = await freshDb();
    const file = await vfs.open('/db/orphan', { create: true });
    await file.write({ data: bytes('data'), position: 0 });
    await file.sync();
    await file.close();
    vfs.crash();
    expect(await vfs.list('/db')).toEqual([]);
  });

  it('keeps a created file empty when its directory was synced but its data was not', async () => {
    const vfs = await freshDb();
    await writeText(vfs, '/db/empty', 'unsynced');
    await vfs.syncDir('/db');
    vfs.crash();
    expect(await vfs.stat('/db/empty')).toEqual({ sizeBytes: 0, isDirectory: false });
  });

  it('reverts a rename that was not dir-synced, and keeps one that was', async () => {
    const vfs = await freshDb();
    await durableFile(vfs, 'CURRENT', 'v1');
    await durableFile(vfs, 'CURRENT.tmp', 'v2');
    await vfs.rename('/db/CURRENT.tmp', '/db/CURRENT');
    const reverted = vfs.crashImage();
    expect(await readText(reverted, '/db/CURRENT')).toBe('v1');
    expect(await readText(reverted, '/db/CURRENT.tmp')).toBe('v2');
    await vfs.syncDir('/db');
    const kept = vfs.crashImage();
    expect(await readText(kept, '/db/CURRENT')).toBe('v2');
    expect(await kept.list('/db')).toEqual(['CURRENT']);
  });

  it('brings back an unlinked file whose directory was not synced', async () => {
    const vfs = await freshDb();
    await durableFile(vfs, 'old.log', 'keep');
    await vfs.unlink('/db/old.log');
    expect(await readText(vfs.crashImage(), '/db/old.log')).toBe('keep');
  });

  it('treats a directory as an entry of its parent: mkdir survives only after syncDir of the parent', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('/a/b', { recursive: true });
    expect(await vfs.crashImage().list('/')).toEqual([]);
    await vfs.syncDir('/');
    const image = vfs.crashImage();
    expect(await image.list('/')).toEqual(['a']);
    expect(await image.list('/a')).toEqual([]);
  });

  it('leaves the original untouched when taking a crash image', async () => {
    const vfs = await freshDb();
    await durableFile(vfs, 'f', 'durable');
    const open = await vfs.open('/db/f', { write: true });
    await open.write({ data: bytes('-more'), position: 7 });
    await writeText(vfs, '/db/g', 'new');
    const before = vfs.snapshotFiles();
    const image = vfs.crashImage({ mode: 'torn', seed: 7 });
    expect(vfs.snapshotFiles()).toEqual(before);
    await open.write({ data: bytes('!'), position: 12 });
    expect(await readText(vfs, '/db/f')).toBe('durable-more!');
    await writeText(image, '/db/f', 'X');
    expect(await readText(vfs, '/db/f')).toBe('durable-more!');
    await open.close();
  });

  it('invalidates open handles and releases locks on crash', async () => {
    const vfs = await freshDb();
    await durableFile(vfs, 'f', 'x');
    const file = await vfs.open('/db/f', { write: true });
    const lock = await vfs.lock('/db/LOCK');
    vfs.crash({ mode: 'process-kill' });
    const error = await rejectionOf(file.write({ data: bytes('y'), position: 0 }));
    expect(error).toMatchObject({ code: 'IO_ERROR', osCode: 'EBADF' });
    expect(() => file.readSync({ buffer: new Uint8Array(1), position: 0 })).toThrow();
    const again = await vfs.lock('/db/LOCK');
    await lock.release();
    expect(await vfs.stat('/db/LOCK')).toBeDefined();
    await again.release();
    expect(await vfs.stat('/db/LOCK')).toBeUndefined();
  });

  it('gives the same torn image for the same seed', async () => {
    const vfs = await freshDb();
    await durableFile(vfs, 'log', '');
    for (let index = 0; index < 20; index++) await appendText(vfs, '/db/log', `record-${index};`, false);
    const first = await vfs.crashImage({ mode: 'torn', seed: 42 }).readFile('/db/log');
    const second = await vfs.crashImage({ mode: 'torn', seed: 42 }).readFile('/db/log');
    expect(second).toEqual(first);
    const lengths = new Set<number>();
    for (let seed = 0; seed < 50; seed++) {
      lengths.add((await vfs.crashImage({ mode: 'torn', seed }).readFile('/db/log')).length);
    }
    expect(lengths.size).toBeGreaterThan(5);
  });

  it('process-kill, power-loss and torn images all keep synced data', async () => {
    const modes: CrashMode[] = ['power-loss', 'process-kill', 'torn'];
    const vfs = await freshDb();
    await durableFile(vfs, 'log', 'synced');
    await appendText(vfs, '/db/log', '+tail', false);
    for (const mode of modes) {
      const text = await readText(vfs.crashImage({ mode, seed: 3 }), '/db/log');
      expect(text.startsWith('synced')).toBe(true);
    }
  });
});

/** One step of the torn-write property: a write of `data` at `position`, or a sync. */
type Step = { kind: 'write'; position: number; data: Uint8Array } | { kind: 'sync' };

/** Applies `writes` to a copy of `base` in order, zero-filling gaps (the file model). */
function applyWrites(base: Uint8Array, writes: { position: number; data: Uint8Array }[]): Uint8Array {
  let result = base.slice();
  for (const { position, data } of writes) {
    const end = Math.max(result.length, position + data.length);
    if (end > result.length) {
      const grown = new Uint8Array(end);
      grown.set(result);
      result = grown;
    }
    result.set(data, position);
  }
  return result;
}

describe('MemoryVfs torn crash', () => {
  it('keeps durable content plus an in-order prefix of the un-synced writes', async () => {
    // Goal: a torn crash never keeps a later un-synced write without every earlier one.
    // Strategy: random writes (overlapping, with gaps) and syncs on one file, then a torn
    // crash image with a random seed. Invariant: the image equals the durable content with
    // the first k un-synced writes applied in order, the k-th cut to some length, for some k.
    const step = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), position: fc.nat(40), data: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
      fc.constant({ kind: 'sync' as const }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 12 }), fc.integer(), async (steps: Step[], seed) => {
        const vfs = await freshDb();
        const file = await vfs.open('/db/f', { create: true });
        await vfs.syncDir('/db');
        let durable: Uint8Array = new Uint8Array(0);
        let pending: { position: number; data: Uint8Array }[] = [];
        for (const s of steps) {
          if (s.kind === 'sync') {
            await file.sync();
            durable = applyWrites(durable, pending);
            pending = [];
          } else {
            await file.write({ data: s.data, position: s.position });
            pending.push({ position: s.position, data: s.data });
          }
        }
        const image = await vfs.crashImage({ mode: 'torn', seed }).readFile('/db/f');
        const candidates: Uint8Array[] = [durable];
        for (let count = 1; count <= pending.length; count++) {
          const last = pending[count - 1];
          if (last === undefined) continue;
          for (let kept = 0; kept <= last.data.length; kept++) {
            const cut = { position: last.position, data: last.data.subarray(0, kept) };
            candidates.push(applyWrites(durable, [...pending.slice(0, count - 1), cut]));
          }
        }
        expect(candidates.some((candidate) => Buffer.from(candidate).equals(Buffer.from(image)))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('for appends, keeps a prefix of the appended stream between durable and current', async () => {
    // Goal: the common WAL case. Strategy: append random chunks, sync at random points, take
    // torn images with several seeds. Invariant: durable is a prefix of the image, and the
    // image is a prefix of the current content.
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.uint8Array({ minLength: 1, maxLength: 20 }), fc.boolean()), { maxLength: 15 }),
        fc.integer(),
        async (chunks, seed) => {
          const vfs = await freshDb();
          const file = await vfs.open('/db/wal', { create: true });
          await vfs.syncDir('/db');
          let size = 0;
          let durableSize = 0;
          for (const [data, sync] of chunks) {
            file.writeSync({ data, position: size });
            size += data.length;
            if (sync) {
              await file.sync();
              durableSize = size;
            }
          }
          const current = Buffer.from(await vfs.readFile('/db/wal'));
          const image = Buffer.from(await vfs.crashImage({ mode: 'torn', seed }).readFile('/db/wal'));
          expect(image.length).toBeGreaterThanOrEqual(durableSize);
          expect(current.subarray(0, image.length).equals(image)).toBe(true);
        },
      ),
      { numRuns: 200 },
    );
  });
});
