import { IoError, KvError } from '@kv/base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Vfs } from '../src/index.js';
import { backends, bytes, readText, rejectionOf, syncBlockingOf, writeText } from './backends.js';
import type { BackendFixture } from './backends.js';

/** Expects an IoError with the given errno name. */
async function expectOsCode(promise: Promise<unknown>, osCode: string): Promise<void> {
  const error = await rejectionOf(promise);
  expect(error).toBeInstanceOf(IoError);
  expect((error as IoError).code).toBe('IO_ERROR');
  expect((error as IoError).osCode).toBe(osCode);
}

describe.each(backends)('Vfs contract: $name', (backend) => {
  let fixture: BackendFixture;
  let vfs: Vfs;
  let dir: string;
  const at = (name: string): string => `${dir}/${name}`;

  beforeEach(async () => {
    fixture = await backend.create();
    vfs = fixture.vfs;
    dir = fixture.root;
  });
  afterEach(() => fixture.cleanup());

  it('writes and reads back through every read and write variant', async () => {
    const file = await vfs.open(at('a'), { create: true });
    await file.write({ data: bytes('hello '), position: 0 });
    file.writeSync({ data: bytes('world'), position: 6 });
    const buffer = new Uint8Array(11);
    expect(await file.read({ buffer, position: 0 })).toBe(11);
    expect(new TextDecoder().decode(buffer)).toBe('hello world');
    const tail = new Uint8Array(10);
    expect(file.readSync({ buffer: tail, position: 6 })).toBe(5);
    expect(new TextDecoder().decode(tail.subarray(0, 5))).toBe('world');
    expect(file.readSync({ buffer: tail, position: 11 })).toBe(0);
    expect(await file.read({ buffer: tail, position: 100 })).toBe(0);
    expect(await file.size()).toBe(11);
    await file.sync();
    syncBlockingOf(file)();
    await file.close();
    await file.close();
    expect(await readText(vfs, at('a'))).toBe('hello world');
  });

  it('zero-fills a gap when writing past the end', async () => {
    const file = await vfs.open(at('gap'), { create: true });
    await file.write({ data: bytes('xy'), position: 4 });
    expect(await file.size()).toBe(6);
    await file.close();
    expect([...(await vfs.readFile(at('gap')))]).toEqual([0, 0, 0, 0, 120, 121]);
  });

  it('truncates down and extends with zeros', async () => {
    await writeText(vfs, at('t'), 'abcdef');
    const file = await vfs.open(at('t'), { write: true });
    await file.truncate(2);
    expect(await file.size()).toBe(2);
    await file.truncate(5);
    await file.close();
    expect([...(await vfs.readFile(at('t')))]).toEqual([97, 98, 0, 0, 0]);
  });

  it('does not keep the caller buffer: later changes to it do not reach the file', async () => {
    const data = bytes('abc');
    const file = await vfs.open(at('own'), { create: true });
    file.writeSync({ data, position: 0 });
    data[0] = 122;
    await file.close();
    expect(await readText(vfs, at('own'))).toBe('abc');
  });

  it('link gives a file a second name sharing its content, and refuses an existing target', async () => {
    await writeText(vfs, at('original'), 'shared');
    await vfs.link(at('original'), at('second'));
    expect(await readText(vfs, at('second'))).toBe('shared');
    await vfs.unlink(at('original'));
    expect(await readText(vfs, at('second'))).toBe('shared');
    await writeText(vfs, at('other'), 'x');
    await expectOsCode(vfs.link(at('other'), at('second')), 'EEXIST');
    await expectOsCode(vfs.link(at('missing'), at('third')), 'ENOENT');
  });

  it('rename replaces the target atomically', async () => {
    await writeText(vfs, at('from'), 'new');
    await writeText(vfs, at('to'), 'old');
    await vfs.rename(at('from'), at('to'));
    expect(await readText(vfs, at('to'))).toBe('new');
    expect(await vfs.stat(at('from'))).toBeUndefined();
  });

  it('unlink removes a file', async () => {
    await writeText(vfs, at('gone'), 'x');
    await vfs.unlink(at('gone'));
    expect(await vfs.stat(at('gone'))).toBeUndefined();
    expect(await vfs.list(dir)).toEqual([]);
  });

  it('list returns sorted names', async () => {
    for (const name of ['b', 'a10', 'C', 'a2', '000001.log']) await writeText(vfs, at(name), name);
    await vfs.mkdir(at('sub'));
    expect(await vfs.list(dir)).toEqual(['000001.log', 'C', 'a10', 'a2', 'b', 'sub']);
  });

  it('stat tells files from directories and gives undefined for missing paths', async () => {
    await writeText(vfs, at('f'), '12345');
    await vfs.mkdir(at('d'));
    expect(await vfs.stat(at('f'))).toEqual({ sizeBytes: 5, isDirectory: false });
    expect((await vfs.stat(at('d')))?.isDirectory).toBe(true);
    expect(await vfs.stat(at('missing'))).toBeUndefined();
    expect(await vfs.stat(at('f/below'))).toBeUndefined();
  });

  it('mkdir recursive creates parents and accepts an existing directory', async () => {
    await vfs.mkdir(at('x/y/z'), { recursive: true });
    await vfs.mkdir(at('x/y/z'), { recursive: true });
    expect(await vfs.list(at('x'))).toEqual(['y']);
    await expectOsCode(vfs.mkdir(at('x')), 'EEXIST');
    await expectOsCode(vfs.mkdir(at('p/q')), 'ENOENT');
  });

  it('rmdir removes an empty directory and refuses a non-empty one', async () => {
    await vfs.mkdir(at('d/e'), { recursive: true });
    await expectOsCode(vfs.rmdir(at('d')), 'ENOTEMPTY');
    await vfs.rmdir(at('d/e'));
    await vfs.rmdir(at('d'));
    expect(await vfs.stat(at('d'))).toBeUndefined();
  });

  it('open honours create and exclusive', async () => {
    await expectOsCode(vfs.open(at('none')), 'ENOENT');
    await expectOsCode(vfs.open(at('none'), { write: true }), 'ENOENT');
    const created = await vfs.open(at('once'), { create: true, exclusive: true });
    await created.close();
    await expectOsCode(vfs.open(at('once'), { create: true, exclusive: true }), 'EEXIST');
    const again = await vfs.open(at('once'), { create: true });
    await again.close();
  });

  it('fails with the right OS codes', async () => {
    await vfs.mkdir(at('d'));
    await writeText(vfs, at('d/f'), 'x');
    await expectOsCode(vfs.readFile(at('missing')), 'ENOENT');
    await expectOsCode(vfs.open(at('d')), 'EISDIR');
    await expectOsCode(vfs.open(at('d'), { write: true }), 'EISDIR');
    await expectOsCode(vfs.rename(at('missing'), at('other')), 'ENOENT');
    await expectOsCode(vfs.unlink(at('missing')), 'ENOENT');
    await expectOsCode(vfs.list(at('missing')), 'ENOENT');
    await expectOsCode(vfs.list(at('d/f')), 'ENOTDIR');
    await expectOsCode(vfs.rmdir(at('missing')), 'ENOENT');
    await expectOsCode(vfs.syncDir(at('missing')), 'ENOENT');
    await expectOsCode(vfs.open(at('missing/f'), { create: true }), 'ENOENT');
  });

  it('a read-only handle refuses writes, a closed handle refuses everything', async () => {
    await writeText(vfs, at('ro'), 'x');
    const readOnly = await vfs.open(at('ro'));
    await expectOsCode(readOnly.write({ data: bytes('y'), position: 0 }), 'EBADF');
    await readOnly.close();
    await expectOsCode(readOnly.read({ buffer: new Uint8Array(1), position: 0 }), 'EBADF');
    expect(() => readOnly.readSync({ buffer: new Uint8Array(1), position: 0 })).toThrow(KvError);
  });

  it('rejects negative or fractional positions with INVALID_ARGUMENT', async () => {
    const file = await vfs.open(at('p'), { create: true });
    const error = await rejectionOf(file.write({ data: bytes('x'), position: -1 }));
    expect((error as KvError).code).toBe('INVALID_ARGUMENT');
    expect(() => file.readSync({ buffer: new Uint8Array(1), position: 1.5 })).toThrow(KvError);
    await file.close();
  });

  it('syncDir and sync succeed on existing paths', async () => {
    const file = await vfs.open(at('s'), { create: true });
    await file.write({ data: bytes('x'), position: 0 });
    await file.sync();
    await file.close();
    await vfs.syncDir(dir);
  });

  it('keeps writing through a handle after its file was renamed', async () => {
    const file = await vfs.open(at('old'), { create: true });
    await vfs.rename(at('old'), at('new'));
    await file.write({ data: bytes('moved'), position: 0 });
    await file.close();
    expect(await readText(vfs, at('new'))).toBe('moved');
  });
});
