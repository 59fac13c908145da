import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { LockedError } from '@kv/base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NodeVfs } from '../src/index.js';
import { parseStartTime } from '../src/process-start-time.js';
import { backends, rejectionOf } from './backends.js';
import type { BackendFixture } from './backends.js';

const hasProcStat = existsSync('/proc/self/stat');

describe.each(backends)('lock: $name', (backend) => {
  let fixture: BackendFixture;
  beforeEach(async () => {
    fixture = await backend.create();
  });
  afterEach(() => fixture.cleanup());

  it('refuses a second lock in the same process until the first is released', async () => {
    const path = `${fixture.root}/LOCK`;
    const lock = await fixture.vfs.lock(path);
    expect(lock.path).toBe(path);
    expect(await fixture.vfs.stat(path)).toBeDefined();
    const error = await rejectionOf(fixture.vfs.lock(path));
    expect(error).toBeInstanceOf(LockedError);
    expect(error).toMatchObject({ code: 'LOCKED' });
    await lock.release();
    await lock.release();
    expect(await fixture.vfs.stat(path)).toBeUndefined();
    const again = await fixture.vfs.lock(path);
    await again.release();
  });

  it('takes over a lock file left behind by a dead holder', async () => {
    const path = `${fixture.root}/LOCK`;
    const file = await fixture.vfs.open(path, { create: true });
    // Above any Linux pid_max (2^22), so no process can have this pid.
    await file.write({ data: new TextEncoder().encode('99999999\n\n'), position: 0 });
    await file.close();
    const lock = await fixture.vfs.lock(path);
    await lock.release();
  });
});

describe('NodeVfs pid lock file', () => {
  let fixture: BackendFixture;
  let lockPath: string;
  let child: ChildProcess | undefined;
  const vfs = new NodeVfs();

  beforeEach(async () => {
    const nodeBackend = backends.find((backend) => backend.name === 'NodeVfs');
    if (nodeBackend === undefined) throw new Error('no NodeVfs backend');
    fixture = await nodeBackend.create();
    lockPath = join(fixture.root, 'LOCK');
  });
  afterEach(() => {
    child?.kill('SIGKILL');
    child = undefined;
    fixture.cleanup();
  });

  it('writes the pid and the process start time, fsynced, into the lock file', async () => {
    const lock = await vfs.lock(lockPath);
    const [pid, startTime] = readFileSync(lockPath, 'utf8').split('\n');
    expect(pid).toBe(String(process.pid));
    if (hasProcStat) expect(startTime).toMatch(/^\d+$/);
    await lock.release();
    expect(existsSync(lockPath)).toBe(false);
  });

  it('sees the same lock through another spelling of the directory', async () => {
    const link = join(fixture.root, 'alias');
    symlinkSync(fixture.root, link);
    const lock = await vfs.lock(lockPath);
    expect(await rejectionOf(vfs.lock(join(link, 'LOCK')))).toBeInstanceOf(LockedError);
    expect(await rejectionOf(vfs.lock(`${fixture.root}/./LOCK`))).toBeInstanceOf(LockedError);
    await lock.release();
  });

  it('shares held locks with other copies of the module through globalThis', async () => {
    const registry = (globalThis as unknown as Record<symbol, unknown>)[Symbol.for('kv.vfs.locks')];
    const lock = await vfs.lock(lockPath);
    expect(registry instanceof Set && registry.has(join(realpathSync(fixture.root), 'LOCK'))).toBe(true);
    await lock.release();
    expect(registry instanceof Set && registry.size).toBe(0);
  });

  it('is LOCKED while another live process holds the file, and takes it over once that process died', async () => {
    child = spawn(process.execPath, ['-e', HOLDER_SCRIPT, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
    await waitForLine(child, 'ready');
    const error = await rejectionOf(vfs.lock(lockPath));
    expect(error).toBeInstanceOf(LockedError);
    expect((error as Error).message).toContain(String(child.pid));
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    const lock = await vfs.lock(lockPath);
    expect(readFileSync(lockPath, 'utf8').split('\n')[0]).toBe(String(process.pid));
    await lock.release();
  });

  it('takes over a lock file whose pid is dead', async () => {
    const finished = spawnSync(process.execPath, ['-e', '']);
    writeFileSync(lockPath, `${finished.pid}\n\n`);
    const lock = await vfs.lock(lockPath);
    await lock.release();
  });

  it.runIf(hasProcStat)('takes over a lock file whose pid was reused by a later process', async () => {
    // The parent process is alive, but the recorded start time is not its own.
    writeFileSync(lockPath, `${process.ppid}\n1\n`);
    const lock = await vfs.lock(lockPath);
    await lock.release();
  });

  it('treats a lock file of this process that the registry does not know as leaked', async () => {
    writeFileSync(lockPath, `${process.pid}\n\n`);
    const lock = await vfs.lock(lockPath);
    await lock.release();
  });

  it('treats a fresh unreadable lock file as being written, and an old one as stale', async () => {
    writeFileSync(lockPath, '');
    expect(await rejectionOf(vfs.lock(lockPath))).toBeInstanceOf(LockedError);
    const longAgo = new Date(Date.now() - 60_000);
    utimesSync(lockPath, longAgo, longAgo);
    const lock = await vfs.lock(lockPath);
    await lock.release();
  });

  it('treats a torn lock file as unwritten, not as naming the pid its first digits spell', async () => {
    // Found by the engine's corruption matrix: a LOCK cut to "1" named pid 1 (always alive)
    // and kept the database LOCKED for good.
    for (const torn of ['1', '1\n', `${process.ppid}\n12`, `${process.ppid}`]) {
      writeFileSync(lockPath, torn);
      expect(await rejectionOf(vfs.lock(lockPath)), JSON.stringify(torn)).toBeInstanceOf(LockedError);
      const longAgo = new Date(Date.now() - 60_000);
      utimesSync(lockPath, longAgo, longAgo);
      const lock = await vfs.lock(lockPath);
      await lock.release();
    }
  });

  it('stages the content and links it into place, leaving no staging file, and removes those dead processes left', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(`${lockPath}.${dead}.staging`, `${dead}\n\n`);
    // A live process's staging file may be a lock() in progress: it stays.
    writeFileSync(`${lockPath}.${process.ppid}.staging`, `${process.ppid}\n\n`);
    writeFileSync(join(fixture.root, 'LOCK.notapid.staging'), '');
    const lock = await vfs.lock(lockPath);
    expect(readdirSync(fixture.root).sort()).toEqual(['LOCK', 'LOCK.notapid.staging', `LOCK.${process.ppid}.staging`].sort());
    expect(readFileSync(lockPath, 'utf8')).toMatch(new RegExp(`^${process.pid}\n\\d*\n$`));
    await lock.release();
    expect(readdirSync(fixture.root).sort()).toEqual(['LOCK.notapid.staging', `LOCK.${process.ppid}.staging`].sort());
  });

  it('leaves a lock file with its whole pid whenever a process is killed inside lock() or release()', async () => {
    // The lock file appears by a hard link of a fsynced staging file, so there is no moment
    // when it exists without its pid. Created in place (O_EXCL, then the write), a kill between
    // the two left an empty file that kept the next open LOCKED for its 5 s grace.
    const script = fileURLToPath(new URL('./child/lock-loop.mjs', import.meta.url));
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 40 }), async (delayMs) => {
        const looper = spawn(process.execPath, [script, lockPath], { stdio: ['ignore', 'pipe', 'inherit'] });
        child = looper;
        await waitForLine(looper, 'ready');
        await new Promise((resolve) => setTimeout(resolve, delayMs));
        const exited = new Promise((resolve) => looper.once('exit', resolve));
        looper.kill('SIGKILL');
        await exited;
        child = undefined;
        if (existsSync(lockPath)) expect(readFileSync(lockPath, 'utf8')).toMatch(new RegExp(`^${looper.pid}\n\\d*\n$`));
        const lock = await vfs.lock(lockPath);
        await lock.release();
        expect(readdirSync(fixture.root)).toEqual([]);
      }),
      { numRuns: 25 },
    );
  });

  it('fails with ENOENT when the directory does not exist', async () => {
    expect(await rejectionOf(vfs.lock(join(fixture.root, 'missing', 'LOCK')))).toMatchObject({ osCode: 'ENOENT' });
  });
});

describe('parseStartTime', () => {
  it('reads field 22 even when the command name holds spaces and parentheses', () => {
    const fields = Array.from({ length: 30 }, (_, index) => String(index + 3));
    expect(parseStartTime(`123 (a b) c) ${fields.join(' ')}\n`)).toBe('22');
    expect(parseStartTime('garbage')).toBeUndefined();
    expect(parseStartTime('1 (x) R 2 3')).toBeUndefined();
  });
});

/** Takes the lock file by the same protocol, from a separate process, then stays alive. */
const HOLDER_SCRIPT = `
const fs = require('node:fs');
let start = '';
try {
  const stat = fs.readFileSync('/proc/self/stat', 'utf8');
  start = stat.slice(stat.lastIndexOf(')') + 1).trim().split(/\\s+/)[19] ?? '';
} catch {}
const fd = fs.openSync(process.argv[1], 'wx');
fs.writeSync(fd, process.pid + '\\n' + start + '\\n');
fs.fsyncSync(fd);
fs.closeSync(fd);
console.log('ready');
setInterval(() => {}, 1000);
`;

function waitForLine(process: ChildProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    process.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes(line)) resolve();
    });
    process.once('exit', (code) => reject(new Error(`holder exited early with ${code}`)));
  });
}
