/**
 * Golden files: `test/fixtures/v1-MANIFEST-000001` and `test/fixtures/v1-CURRENT` were written
 * once by this file (only when missing) and are committed. They must never be regenerated: a
 * reader that stops reading them, or an encoder that stops reproducing them byte for byte, has
 * changed the wire format.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { equalBytes } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { describe, expect, test } from 'vitest';
import { Manifest, Version, decodeVersionEdit, encodeVersionEdit, readManifest } from '../src/index.js';
import type { TableFileMeta } from '../src/index.js';
import { key, replaceFile } from './helpers.js';

const FIXTURE_MANIFEST = new URL('./fixtures/v1-MANIFEST-000001', import.meta.url);
const FIXTURE_CURRENT = new URL('./fixtures/v1-CURRENT', import.meta.url);
const FIXTURE_CLOSE_MARKER = new URL('./fixtures/v3-close-marker-edit.bin', import.meta.url);

const APPLE_MANGO: TableFileMeta = {
  level: 0, fileNumber: 3, sizeBytes: 8192, smallestKey: key('apple'), largestKey: key('mango'),
  seqMin: 1, seqMax: 100, entryCount: 100, tombstoneCount: 7,
};
const APPLE_ZEBRA: TableFileMeta = {
  level: 1, fileNumber: 5, sizeBytes: 20_000, smallestKey: key('apple'), largestKey: key('zebra'),
  seqMin: 1, seqMax: 250, entryCount: 240, tombstoneCount: 0,
};

/**
 * The input of the fixture: a database created with fixed widths (manifest 1, WAL 2), a flush
 * of file 3, then a compaction of file 3 into file 5 that also retires WAL 2 for WAL 4.
 */
async function writeV1(): Promise<MemoryVfs> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db');
  const version = Version.empty().apply({ options: { pageSizeBytes: 4096, fixedWidth: { keySize: 16, valueSize: 100 } }, logNumber: 2, nextFileNumber: 3, lastSequence: 0 });
  const manifest = await Manifest.create(vfs, '/db', { manifestNumber: 1, version });
  await manifest.logAndApply({ lastSequence: 100, addedFiles: [{ ...APPLE_MANGO, fileNumber: manifest.allocateFileNumber() }] });
  const logNumber = manifest.allocateFileNumber();
  const fileNumber = manifest.allocateFileNumber();
  await manifest.logAndApply({ logNumber, lastSequence: 250, removedFiles: [{ level: 0, fileNumber: 3 }], addedFiles: [{ ...APPLE_ZEBRA, fileNumber }] });
  await manifest.close();
  return vfs;
}

const hex = (bytes: Uint8Array): string => Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');

describe('golden fixture v1-MANIFEST-000001 and v1-CURRENT', () => {
  test('exist (written once if missing, never regenerated)', async () => {
    if (!existsSync(FIXTURE_MANIFEST) || !existsSync(FIXTURE_CURRENT)) {
      const vfs = await writeV1();
      writeFileSync(FIXTURE_MANIFEST, await vfs.readFile('/db/MANIFEST-000001'));
      writeFileSync(FIXTURE_CURRENT, await vfs.readFile('/db/CURRENT'));
    }
    expect(existsSync(FIXTURE_MANIFEST)).toBe(true);
    expect(existsSync(FIXTURE_CURRENT)).toBe(true);
  });

  test('replay to exactly the recorded version', async () => {
    const vfs = new MemoryVfs();
    await vfs.mkdir('/db');
    await replaceFile(vfs, '/db/MANIFEST-000001', new Uint8Array(readFileSync(FIXTURE_MANIFEST)));
    await replaceFile(vfs, '/db/CURRENT', new Uint8Array(readFileSync(FIXTURE_CURRENT)));
    const replay = await readManifest(vfs, '/db');
    if (replay === undefined) throw new Error('expected a database');
    expect(replay.report).toEqual({ records: 3, lastGoodOffset: 137, droppedBytes: 0, corruptions: [], stoppedEarly: false });
    const { version } = replay;
    expect([version.logNumber, version.nextFileNumber, version.lastSequence]).toEqual([4, 6, 250]);
    expect(version.options).toEqual({ pageSizeBytes: 4096, fixedWidth: { keySize: 16, valueSize: 100 } });
    expect(version.files()).toEqual([APPLE_ZEBRA]);
  });

  test('are reproduced byte for byte by the current encoder, which then appends the close marker (version 3)', async () => {
    const vfs = await writeV1();
    const written = await vfs.readFile('/db/MANIFEST-000001');
    const fixture = new Uint8Array(readFileSync(FIXTURE_MANIFEST));
    expect(equalBytes(written.subarray(0, fixture.length), fixture)).toBe(true);
    // One more FULL record (7-byte header: masked CRC, length 3, type 1) holding `03 09 00`.
    const marker = written.subarray(fixture.length);
    expect(hex(marker.subarray(4))).toBe('030001' + '030900');
    expect(decodeVersionEdit(marker.subarray(7), 'marker')).toEqual({ closed: true });
    expect(equalBytes(await vfs.readFile('/db/CURRENT'), new Uint8Array(readFileSync(FIXTURE_CURRENT)))).toBe(true);
  });

  test('the v3 close marker golden edit exists (written once if missing), decodes, and is reproduced', () => {
    if (!existsSync(FIXTURE_CLOSE_MARKER)) writeFileSync(FIXTURE_CLOSE_MARKER, encodeVersionEdit({ closed: true }));
    const bytes = new Uint8Array(readFileSync(FIXTURE_CLOSE_MARKER));
    expect(hex(bytes)).toBe('030900');
    expect(decodeVersionEdit(bytes, 'fixture')).toEqual({ closed: true });
    expect(equalBytes(encodeVersionEdit({ closed: true }), bytes)).toBe(true);
  });

  test('hold the bytes of the worked example in FORMAT.md', () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE_MANIFEST));
    expect(new TextDecoder().decode(readFileSync(FIXTURE_CURRENT))).toBe('MANIFEST-000001\n');
    expect(bytes.length).toBe(137);
    // The WAL header record (39 bytes, log number 1), then one record per edit.
    expect(hex(bytes.subarray(0, 39))).toBe('b8dad4592000056b7677616c000000010001000000000000000000000000000000000000000000');
    expect(hex(bytes.subarray(39, 60))).toBe('abdb58930e0001' + '01010202030300048020011064' + '00');
    expect(hex(bytes.subarray(60, 94))).toBe('fd0f740e1b0001' + '0102040364' + '060003804005' + '6170706c65' + '056d616e676f' + '0164640700');
    expect(hex(bytes.subarray(94, 137))).toBe('ba38c5f9240001' + '010104020603fa010500' + '03060105a09c0105' + '6170706c65' + '057a65627261' + '01fa01f0010000');
  });
});
