import { isKvError } from '@kv/base';
import { describe, expect, test } from 'vitest';
import { Manifest, manifestFileName, parseManifestFileName, readCurrent, writeCurrent } from '../src/index.js';
import { DIR, errorOf, initialVersion, newDbVfs, replaceFile } from './helpers.js';

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('CURRENT', () => {
  test('names manifests with six or more digits, canonically', () => {
    expect(manifestFileName(5)).toBe('MANIFEST-000005');
    expect(manifestFileName(12_345_678)).toBe('MANIFEST-12345678');
    expect(parseManifestFileName('MANIFEST-000005')).toBe(5);
    expect(parseManifestFileName('MANIFEST-12345678')).toBe(12_345_678);
    for (const name of ['MANIFEST-5', 'MANIFEST-0000005', 'MANIFEST-00000a', 'MANIFEST-000005.tmp', 'manifest-000005', 'MANIFEST-99999999999999999']) {
      expect(parseManifestFileName(name)).toBeUndefined();
    }
  });

  test('is absent in an empty directory', async () => {
    const vfs = await newDbVfs();
    expect(await readCurrent(vfs, DIR)).toBeUndefined();
    expect(await Manifest.open(vfs, DIR)).toBeUndefined();
  });

  test('round-trips through writeCurrent, which leaves no temporary file', async () => {
    const vfs = await newDbVfs();
    await writeCurrent(vfs, DIR, 'MANIFEST-000007');
    expect(await readCurrent(vfs, DIR)).toBe('MANIFEST-000007');
    expect(await vfs.list(DIR)).toEqual(['CURRENT']);
    expect(await vfs.readFile(`${DIR}/CURRENT`)).toEqual(bytes('MANIFEST-000007\n'));
    // It survives a power loss at once: the temp file was synced and the directory fsynced.
    expect(await readCurrent(vfs.crashImage({ mode: 'power-loss' }), DIR)).toBe('MANIFEST-000007');
  });

  test('refuses to write a name that is not a manifest', async () => {
    const vfs = await newDbVfs();
    expect(isKvError(await errorOf(writeCurrent(vfs, DIR, 'CURRENT')), 'INVALID_ARGUMENT')).toBe(true);
  });

  test.each([
    ['without its newline', 'MANIFEST-000001'],
    ['empty', ''],
    ['with two newlines', 'MANIFEST-000001\n\n'],
    ['with CRLF', 'MANIFEST-000001\r\n'],
    ['with a non-canonical number', 'MANIFEST-1\n'],
    ['with garbage', 'hello world\n'],
    ['with a path', '../MANIFEST-000001\n'],
    ['too long', `${'x'.repeat(100)}\n`],
  ])('is corruption %s', async (_name, content) => {
    const vfs = await newDbVfs();
    await replaceFile(vfs, `${DIR}/CURRENT`, bytes(content));
    expect(isKvError(await errorOf(readCurrent(vfs, DIR)), 'CORRUPTION')).toBe(true);
    expect(isKvError(await errorOf(Manifest.open(vfs, DIR)), 'CORRUPTION')).toBe(true);
  });

  test('is corruption when it is not UTF-8', async () => {
    const vfs = await newDbVfs();
    await replaceFile(vfs, `${DIR}/CURRENT`, new Uint8Array([0xff, 0xfe, 0x0a]));
    expect(isKvError(await errorOf(readCurrent(vfs, DIR)), 'CORRUPTION')).toBe(true);
  });

  test('naming a missing manifest is corruption naming the file', async () => {
    const vfs = await newDbVfs();
    await writeCurrent(vfs, DIR, 'MANIFEST-000004');
    const error = await errorOf(Manifest.open(vfs, DIR));
    expect(isKvError(error, 'CORRUPTION')).toBe(true);
    expect(String(error)).toContain('MANIFEST-000004');
  });

  test('ignores leftover temporary files', async () => {
    const vfs = await newDbVfs();
    const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
    await manifest.close();
    await replaceFile(vfs, `${DIR}/000009.dbtmp`, bytes('MANIFEST-000009\n'));
    await replaceFile(vfs, `${DIR}/000001.dbtmp`, bytes('MANI'));
    expect(await readCurrent(vfs, DIR)).toBe('MANIFEST-000001');
    const opened = await Manifest.open(vfs, DIR, { reuse: false });
    // The new manifest's number skips past every numbered file, temporaries included.
    expect(opened?.manifest.manifestNumber).toBe(10);
    expect(await readCurrent(vfs, DIR)).toBe('MANIFEST-000010');
    await opened?.manifest.close();
  });

  test('replaces a leftover temporary file of the same name', async () => {
    const vfs = await newDbVfs();
    await replaceFile(vfs, `${DIR}/000003.dbtmp`, bytes('a much longer leftover than the new content\n'));
    await writeCurrent(vfs, DIR, 'MANIFEST-000003');
    expect(await readCurrent(vfs, DIR)).toBe('MANIFEST-000003');
  });
});
