import { isKvError } from '@kv/base';
import type { MemoryVfs } from '@kv/vfs';
import { WalWriter } from '@kv/wal';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { FORMAT_VERSION_CURRENT, Manifest, encodeVersionEdit, readManifest, writeCurrent } from '../src/index.js';
import type { VersionEdit } from '../src/index.js';
import { DIR, errorOf, file, flipByte, initialVersion, newDbVfs, replaceFile } from './helpers.js';

const PATH = `${DIR}/MANIFEST-000001`;
const HEADER_BYTES = 39;

/**
 * A closed manifest with a snapshot and `count` edits; returns record offsets. With
 * `keyBytes`, each edit adds a file with keys that long, so records span WAL blocks.
 */
async function writtenManifest(count: number, keyBytes = 0): Promise<{ vfs: MemoryVfs; recordOffsets: number[]; sizeBytes: number }> {
  const vfs = await newDbVfs();
  const manifest = await Manifest.create(vfs, DIR, { manifestNumber: 1, version: initialVersion() });
  const recordOffsets = [HEADER_BYTES];
  for (let i = 1; i <= count; i++) {
    recordOffsets.push(manifest.sizeBytes);
    const addedFiles = keyBytes === 0 ? [] : [file({ level: 0, fileNumber: manifest.allocateFileNumber(), smallest: 'a'.repeat(keyBytes), largest: 'b'.repeat(keyBytes) })];
    await manifest.logAndApply({ lastSequence: i, addedFiles });
  }
  const sizeBytes = manifest.sizeBytes;
  // As a process that died before closing left it: the last record is the last edit, with no
  // close marker after it.
  const image = vfs.crashImage({ mode: 'process-kill' });
  await manifest.close();
  return { vfs: image, recordOffsets, sizeBytes };
}

/** A manifest holding exactly `payloads` as records, named by CURRENT. */
async function rawManifest(payloads: Uint8Array[]): Promise<MemoryVfs> {
  const vfs = await newDbVfs();
  const writer = await WalWriter.create(vfs, PATH, { logNumber: 1 });
  if (payloads.length > 0) writer.appendSync(payloads);
  await writer.sync();
  await writer.close();
  await writeCurrent(vfs, DIR, 'MANIFEST-000001');
  return vfs;
}

/** Flips one random byte before `lastStart` in copies of the manifest; each open must be CORRUPTION. */
async function expectFlipsCaught(vfs: MemoryVfs, lastStart: number): Promise<void> {
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: lastStart - 1 }), fc.integer({ min: 1, max: 255 }), async (offset, mask) => {
      const image = vfs.crashImage({ mode: 'process-kill' });
      await flipByte(image, PATH, { offset, mask });
      const error = await errorOf(Manifest.open(image, DIR));
      expect(isKvError(error, 'CORRUPTION')).toBe(true);
      expect(String(error)).toContain('MANIFEST-000001');
    }),
    { numRuns: 200 },
  );
}

const snapshot = (): Uint8Array => encodeVersionEdit(initialVersion().snapshot());

describe('a damaged manifest', () => {
  test('is corruption naming the file when any byte before the last edit flips', async () => {
    // Goal: acknowledged edits are never silently lost or misread.
    // Strategy: a manifest of a snapshot and 5 edits; XOR one byte anywhere from offset 0 to
    // the start of the last record with a random non-zero mask.
    // Invariants: Manifest.open throws CORRUPTION whose message names the manifest file (the
    // WAL checksum or header check catches it; a damaged record is followed by valid ones, so
    // it cannot pass for a torn tail).
    const { vfs, recordOffsets } = await writtenManifest(5);
    await expectFlipsCaught(vfs, recordOffsets.at(-1) ?? 0);
  });

  test('is corruption when any byte flips in a multi-block manifest', async () => {
    // Goal: the same guarantee when edits span 32 KiB WAL blocks.
    // Strategy: 12 edits of about 14 KB each (every one crosses or nearly fills a block);
    // flip one random byte before the last record.
    // Invariants: as above.
    const { vfs, recordOffsets, sizeBytes } = await writtenManifest(12, 7000);
    expect(sizeBytes).toBeGreaterThan(4 * 32_768);
    await expectFlipsCaught(vfs, recordOffsets.at(-1) ?? 0);
  });


  test('a flipped length byte in a middle edit is corruption, not a torn tail (regression)', async () => {
    // Found by the property above (seed 591228771): the WAL reader cannot see past a damaged
    // length within its block, so without the manifest's own tail check the later,
    // acknowledged edits were dropped as if torn.
    const { vfs, recordOffsets } = await writtenManifest(5);
    const second = recordOffsets[1] ?? 0;
    await flipByte(vfs, PATH, { offset: second + 4, mask: 1 });
    const error = await errorOf(Manifest.open(vfs, DIR));
    expect(isKvError(error, 'CORRUPTION')).toBe(true);
    expect(String(error)).toContain('not a torn tail');
  });

  test('drops a damaged last edit as a torn tail (indistinguishable from a crash during its write)', async () => {
    const { vfs, recordOffsets, sizeBytes } = await writtenManifest(3);
    const lastStart = recordOffsets.at(-1) ?? 0;
    for (let offset = lastStart; offset < sizeBytes; offset++) {
      const image = vfs.crashImage({ mode: 'process-kill' });
      await flipByte(image, PATH, { offset });
      const replay = await readManifest(image, DIR);
      expect(replay?.version.lastSequence).toBe(2);
      expect(replay?.report.stoppedEarly).toBe(true);
    }
  });

  test('drops a truncated last edit', async () => {
    const { vfs, recordOffsets, sizeBytes } = await writtenManifest(3);
    for (let length = recordOffsets.at(-1) ?? 0; length < sizeBytes; length++) {
      const image = vfs.crashImage({ mode: 'process-kill' });
      await replaceFile(image, PATH, (await image.readFile(PATH)).subarray(0, length));
      expect((await readManifest(image, DIR))?.version.lastSequence).toBe(2);
    }
  });

  test('without its opening snapshot is corruption', async () => {
    const vfs = await rawManifest([]);
    expect(isKvError(await errorOf(Manifest.open(vfs, DIR)), 'CORRUPTION')).toBe(true);
    await replaceFile(vfs, PATH, new Uint8Array(0));
    expect(isKvError(await errorOf(Manifest.open(vfs, DIR)), 'CORRUPTION')).toBe(true);
  });

  test('with an edit that does not decode is corruption naming the file and offset', async () => {
    const vfs = await rawManifest([snapshot(), new Uint8Array([1, 9, 0])]);
    const error = await errorOf(Manifest.open(vfs, DIR));
    expect(isKvError(error, 'CORRUPTION')).toBe(true);
    expect(String(error)).toMatch(/MANIFEST-000001 record at offset \d+: edit offset 2: unknown tag 9/);
  });

  test('with an edit that does not apply is corruption', async () => {
    const bad: VersionEdit = { removedFiles: [{ level: 0, fileNumber: 2 }] };
    const vfs = await rawManifest([snapshot(), encodeVersionEdit(bad)]);
    const error = await errorOf(Manifest.open(vfs, DIR));
    expect(isKvError(error, 'CORRUPTION')).toBe(true);
    expect(String(error)).toContain('edit does not apply: removes file 2');
  });

  test('with an edit of a newer format version is NOT_SUPPORTED', async () => {
    const vfs = await rawManifest([snapshot(), new Uint8Array([FORMAT_VERSION_CURRENT + 1, 0])]);
    expect(isKvError(await errorOf(Manifest.open(vfs, DIR)), 'NOT_SUPPORTED')).toBe(true);
  });

  test('under another number than its own is corruption', async () => {
    const { vfs } = await writtenManifest(1);
    await vfs.rename(PATH, `${DIR}/MANIFEST-000002`);
    await writeCurrent(vfs, DIR, 'MANIFEST-000002');
    const error = await errorOf(Manifest.open(vfs, DIR));
    expect(isKvError(error, 'CORRUPTION')).toBe(true);
  });
});
