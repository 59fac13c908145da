import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MemoryVfs, crashStateAt, crashStates } from '../src/index.js';
import type { CrashState, LoggedOperation } from '../src/index.js';
import { bytes, readText } from './backends.js';

/** A vfs with a durable `/d` directory, recording from then on. */
async function recordedDir(): Promise<{ vfs: MemoryVfs; log: ReturnType<MemoryVfs['recordOperations']> }> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/d');
  await vfs.syncDir('/');
  return { vfs, log: vfs.recordOperations() };
}

/** Creates `path` holding `text`, synced, and returns the open handle for later writes. */
async function syncedFile(vfs: MemoryVfs, path: string, text: string): Promise<Awaited<ReturnType<MemoryVfs['open']>>> {
  const file = await vfs.open(path, { create: true });
  await file.write({ data: bytes(text), position: 0 });
  await file.sync();
  return file;
}

/** Every file and directory of a vfs, as `path=text` (directories end in `/`), sorted. */
async function contents(vfs: MemoryVfs, dir = '/'): Promise<string[]> {
  const out: string[] = [];
  for (const name of await vfs.list(dir)) {
    const path = `${dir === '/' ? '' : dir}/${name}`;
    if ((await vfs.stat(path))?.isDirectory === true) out.push(`${path}/`, ...(await contents(vfs, path)));
    else out.push(`${path}=${Buffer.from(await vfs.readFile(path)).toString('latin1')}`);
  }
  return out;
}

/** Distinct contents of the states of the last prefix. */
async function finalContents(log: Parameters<typeof crashStates>[0], options = {}): Promise<Set<string>> {
  const states = [...crashStates(log, { ...options, fromPrefix: log.length })];
  const seen = new Set<string>();
  for (const state of states) seen.add((await contents(state.image())).join(' | '));
  return seen;
}

describe('OperationLog', () => {
  it('records every mutating operation with its bytes, naming files by inode across renames', async () => {
    const { vfs, log } = await recordedDir();
    const file = await vfs.open('/d/a', { create: true });
    await file.write({ data: bytes('hello'), position: 0 });
    await vfs.rename('/d/a', '/d/b');
    await file.write({ data: bytes('!'), position: 5 });
    await file.truncate(3);
    await file.sync();
    await vfs.link('/d/b', '/d/c');
    await vfs.unlink('/d/b');
    await vfs.mkdir('/d/sub');
    await vfs.rmdir('/d/sub');
    await vfs.syncDir('/d');
    const shape = log.operations.map((op: LoggedOperation) => [op.index, op.kind, op.path, 'inode' in op ? op.inode : '', 'target' in op ? op.target : '']);
    expect(shape).toEqual([
      [1, 'create', '/d/a', 1, ''],
      [2, 'write', '/d/a', 1, ''],
      [3, 'rename', '/d/a', '', '/d/b'],
      [4, 'write', '/d/a', 1, ''],
      [5, 'truncate', '/d/a', 1, ''],
      [6, 'sync', '/d/a', 1, ''],
      [7, 'link', '/d/b', '', '/d/c'],
      [8, 'unlink', '/d/b', '', ''],
      [9, 'mkdir', '/d/sub', '', ''],
      [10, 'rmdir', '/d/sub', '', ''],
      [11, 'syncDir', '/d', '', ''],
    ]);
    expect(log.operations[3]).toMatchObject({ position: 5, data: bytes('!') });
    expect(log.operations[4]).toMatchObject({ sizeBytes: 3 });
  });

  it('stops at stop() and at a crash of the recorded instance, and skips failed operations', async () => {
    const { vfs, log } = await recordedDir();
    vfs.failOperation({ kind: 'mkdir', nth: 1, error: 'EIO' });
    await expect(vfs.mkdir('/d/x')).rejects.toMatchObject({ code: 'IO_ERROR' });
    await vfs.mkdir('/d/y');
    expect(log.length).toBe(1);
    vfs.crash();
    await vfs.mkdir('/d/z');
    expect(log.recording).toBe(false);
    expect(log.length).toBe(1);
    const second = vfs.recordOperations();
    second.stop();
    await vfs.mkdir('/d/w');
    expect(second.length).toBe(0);
  });
});

describe('crashStates', () => {
  // Goal: the two extreme crash states of every prefix agree with MemoryVfs's own crash images.
  // Strategy: random programs of file and directory operations (failures ignored); a power-loss
  // and a process-kill image are taken after every operation; crashStates replays the log.
  // Invariants: per prefix, the power-loss state equals the power-loss image and the
  // all-persisted state equals the process-kill image, file by file and byte by byte.
  it('gives, for every prefix, the power-loss image and (all persisted) the process-kill image', async () => {
    const name = fc.constantFrom('a', 'b', 'sub/c');
    const step = fc.oneof(
      fc.record({ kind: fc.constant('write' as const), name, position: fc.nat(700), data: fc.uint8Array({ minLength: 1, maxLength: 600 }) }),
      fc.record({ kind: fc.constantFrom('sync' as const, 'unlink' as const, 'truncate' as const), name }),
      fc.record({ kind: fc.constant('rename' as const), name, to: name }),
      fc.record({ kind: fc.constantFrom('syncDir' as const, 'mkdir' as const), name: fc.constantFrom('', 'sub') }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(step, { maxLength: 14 }), async (steps) => {
        const { vfs, log } = await recordedDir();
        const images: { powerLoss: string[]; kill: string[] }[] = [{ powerLoss: await contents(vfs.crashImage()), kill: await contents(vfs.crashImage({ mode: 'process-kill' })) }];
        const pending: MemoryVfs[][] = [];
        vfs.onOperation(() => pending.push([vfs.crashImage(), vfs.crashImage({ mode: 'process-kill' })]));
        const handles = new Map<string, Awaited<ReturnType<MemoryVfs['open']>>>();
        for (const s of steps) {
          const path = `/d/${s.name}`.replace(/\/$/, '');
          const run = async (): Promise<unknown> => {
            if (s.kind === 'write') {
              const handle = handles.get(path) ?? (await vfs.open(path, { create: true }));
              handles.set(path, handle);
              return handle.write({ data: s.data, position: s.position });
            }
            if (s.kind === 'sync') return handles.get(path)?.sync();
            if (s.kind === 'truncate') return handles.get(path)?.truncate(100);
            if (s.kind === 'unlink') return vfs.unlink(path);
            if (s.kind === 'rename') return vfs.rename(path, `/d/${s.to}`);
            if (s.kind === 'mkdir') return vfs.mkdir(path);
            return vfs.syncDir(path);
          };
          await run().catch(() => undefined);
        }
        for (const [powerLoss, kill] of pending) images.push({ powerLoss: await contents(powerLoss as MemoryVfs), kill: await contents(kill as MemoryVfs) });
        const extremes = new Map<number, { powerLoss?: string[]; kill?: string[] }>();
        for (const state of crashStates(log, { exhaustiveChangesMax: 0, sampledSubsets: 0, tornCutsPerSubset: 0 })) {
          const entry = extremes.get(state.prefix) ?? {};
          if (state.kind === 'power-loss') entry.powerLoss ??= await contents(state.image());
          if (state.kind === 'all-persisted' || (state.kind === 'power-loss' && entry.kill === undefined)) entry.kill = await contents(state.image());
          extremes.set(state.prefix, entry);
        }
        expect(extremes.size).toBe(log.length + 1);
        for (const [prefix, entry] of extremes) {
          expect(entry.powerLoss, `power loss after #${prefix}`).toEqual(images[prefix]?.powerLoss);
          expect(entry.kill, `all persisted after #${prefix}`).toEqual(images[prefix]?.kill);
        }
      }),
      { numRuns: 150 },
    );
  });

  it('persists un-synced writes of a file in any subset, leaving zeros where an earlier one is missing', async () => {
    const { vfs, log } = await recordedDir();
    const file = await syncedFile(vfs, '/d/log', 'base');
    await vfs.syncDir('/d');
    await file.write({ data: bytes('AA'), position: 4 });
    await file.write({ data: bytes('BB'), position: 6 });
    expect([...(await finalContents(log, { tornCutsPerSubset: 0 }))].sort()).toEqual([
      '/d/ | /d/log=base',
      '/d/ | /d/log=base\0\0BB',
      '/d/ | /d/log=baseAA',
      '/d/ | /d/log=baseAABB',
    ]);
  });

  it('tears the newest persisted write at a sector boundary inside it and at one random byte', async () => {
    const { vfs, log } = await recordedDir();
    const file = await vfs.open('/d/big', { create: true });
    await vfs.syncDir('/d');
    await file.write({ data: new Uint8Array(1500).fill(7), position: 100 });
    const torn = [...crashStates(log, { fromPrefix: log.length, tornCutsPerSubset: 2 })].filter((state) => state.kind === 'torn');
    const sizes = await Promise.all(torn.map(async (state) => (await state.image().stat('/d/big'))?.sizeBytes));
    expect(torn).toHaveLength(2);
    expect([512, 1024, 1536]).toContain(sizes[0]);
    expect(sizes[1]).toBeGreaterThan(100);
    expect(sizes[1]).toBeLessThan(1600);
  });

  it('applies un-synced directory changes in any subset, and a rename atomically', async () => {
    const { vfs, log } = await recordedDir();
    await syncedFile(vfs, '/d/CURRENT', 'old');
    await vfs.syncDir('/d');
    await syncedFile(vfs, '/d/tmp', 'new');
    await vfs.rename('/d/tmp', '/d/CURRENT');
    await syncedFile(vfs, '/d/other', 'x');
    const states = [...(await finalContents(log))].sort();
    expect(states).toEqual([
      '/d/ | /d/CURRENT=new',
      '/d/ | /d/CURRENT=new | /d/other=x',
      '/d/ | /d/CURRENT=old',
      '/d/ | /d/CURRENT=old | /d/other=x',
      '/d/ | /d/CURRENT=old | /d/other=x | /d/tmp=new',
      '/d/ | /d/CURRENT=old | /d/tmp=new',
    ]);
  });

  it('treats a truncate as a barrier: a write after it never lands on bytes it cut', async () => {
    const { vfs, log } = await recordedDir();
    const file = await syncedFile(vfs, '/d/f', 'abcdef');
    await vfs.syncDir('/d');
    await file.write({ data: bytes('XY'), position: 6 });
    await file.truncate(0);
    await file.write({ data: bytes('z'), position: 0 });
    const states = [...(await finalContents(log, { tornCutsPerSubset: 0 }))].sort();
    expect(states).toEqual(['/d/ | /d/f=', '/d/ | /d/f=abcdef', '/d/ | /d/f=abcdefXY', '/d/ | /d/f=z']);
  });

  it('enumerates every subset of few changes and samples many, within the per-prefix limit', async () => {
    const { vfs, log } = await recordedDir();
    const file = await vfs.open('/d/f', { create: true });
    await vfs.syncDir('/d');
    for (let i = 0; i < 10; i++) await file.write({ data: bytes(String(i)), position: i });
    const fourWrites = [...crashStates(log, { fromPrefix: 6, toPrefix: 6, tornCutsPerSubset: 0 })];
    expect(fourWrites.map((s) => s.prefix)).toEqual(Array(16).fill(6));
    expect(new Set(fourWrites.map((s) => s.fingerprint)).size).toBe(16);
    const sampled = [...crashStates(log, { fromPrefix: log.length, tornCutsPerSubset: 0, sampledSubsets: 5 })];
    expect(sampled.length).toBeLessThanOrEqual(2 + 9 + 5);
    expect(sampled.length).toBeGreaterThanOrEqual(2 + 9);
    // Prefixes 0 (nothing), 1 (the create: none or all), 2 (synced), 3 (one 1-byte write: none
    // or all, too short to tear), then 4..12 with at least 4 subsets each, cut to 3.
    const limited = [...crashStates(log, { statesPerPrefixMax: 3 })];
    expect(limited).toHaveLength(1 + 2 + 1 + 2 + 9 * 3);
  });

  it('rebuilds a state named by log indexes, and every image is independent', async () => {
    const { vfs, log } = await recordedDir();
    const file = await vfs.open('/d/f', { create: true });
    await vfs.syncDir('/d');
    await file.write({ data: bytes('one'), position: 0 });
    await file.write({ data: bytes('two'), position: 3 });
    const state: CrashState = crashStateAt(log, { prefix: 4, persisted: [4], torn: { index: 4, keptBytes: 2 } });
    expect(state.kind).toBe('torn');
    expect(state.description).toContain('#4 write /d/f @3+3');
    const image = state.image();
    expect(await readText(image, '/d/f')).toBe('\0\0\0tw');
    await (await image.open('/d/f', { write: true })).write({ data: bytes('Z'), position: 0 });
    expect(await readText(state.image(), '/d/f')).toBe('\0\0\0tw');
    expect(() => crashStateAt(log, { prefix: 99, persisted: [] })).toThrow(/prefix/);
  });
});
