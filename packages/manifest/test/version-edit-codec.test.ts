import { CorruptionError, KvError, concatBytes, isKvError } from '@kv/base';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { EditTag, FORMAT_VERSION_CURRENT, KEY_BYTES_MAX, Version, decodeVersionEdit, encodeVersionEdit } from '../src/index.js';
import type { VersionEdit } from '../src/index.js';
import { file, versionEditArb } from './helpers.js';

const decode = (bytes: Uint8Array): VersionEdit => decodeVersionEdit(bytes, 'test edit');
const codeOf = (run: () => unknown): string | undefined => {
  try {
    run();
    return undefined;
  } catch (error) {
    if (!(error instanceof KvError)) throw error;
    return error.code;
  }
};

describe('version edit encoding', () => {
  test('round-trips any edit, canonically', () => {
    // Goal: decode inverts encode, and the encoding is canonical.
    // Strategy: random edits with every field optional, numbers at varint boundaries and up
    // to 2^53 - 1, keys of 0..24 random bytes, up to five added and removed files.
    // Invariants: decode(encode(e)) equals e; encode(decode(b)) equals b.
    fc.assert(
      fc.property(versionEditArb, (edit) => {
        const bytes = encodeVersionEdit(edit);
        const decoded = decode(bytes);
        expect(decoded).toEqual(edit);
        expect(encodeVersionEdit(decoded)).toEqual(bytes);
      }),
    );
  });

  test('rejects every truncation and any trailing bytes as corruption', () => {
    // Goal: a decoder handed a cut or padded edit never returns a wrong edit.
    // Strategy: random edits; every proper prefix of the encoding; the encoding followed by
    // 1..8 random bytes.
    // Invariants: every prefix and every padded encoding throws CorruptionError.
    fc.assert(
      fc.property(versionEditArb, fc.uint8Array({ minLength: 1, maxLength: 8 }), (edit, extra) => {
        const bytes = encodeVersionEdit(edit);
        for (let length = 0; length < bytes.length; length++) {
          expect(() => decode(bytes.subarray(0, length))).toThrow(CorruptionError);
        }
        expect(() => decode(concatBytes([bytes, extra]))).toThrow(CorruptionError);
      }),
    );
  });

  test('a flipped byte is rejected or decodes to exactly what the damaged bytes encode', () => {
    // Goal: decode never crashes or misreads damaged input; what it accepts is canonical.
    // Strategy: random edits, one byte at a random offset XORed with a random non-zero mask.
    // Invariants: decode throws a KvError (CORRUPTION, or NOT_SUPPORTED for a version byte
    // above the current one), or returns an edit whose encoding is the damaged bytes (so it
    // differs from the original: a flip in a key byte cannot be caught without a checksum;
    // the manifest's WAL framing catches those, see manifest-damage.test.ts).
    fc.assert(
      fc.property(versionEditArb, fc.nat(), fc.integer({ min: 1, max: 255 }), (edit, at, mask) => {
        const bytes = encodeVersionEdit(edit);
        const offset = at % bytes.length;
        const damaged = bytes.slice();
        damaged[offset] = (damaged[offset] ?? 0) ^ mask;
        let decoded: VersionEdit;
        try {
          decoded = decode(damaged);
        } catch (error) {
          expect(isKvError(error, 'CORRUPTION') || isKvError(error, 'NOT_SUPPORTED')).toBe(true);
          return;
        }
        expect(encodeVersionEdit(decoded)).toEqual(damaged);
      }),
    );
  });

  test('encodes the empty edit as the version and the end tag', () => {
    expect(encodeVersionEdit({})).toEqual(new Uint8Array([1, EditTag.End]));
    expect(decode(new Uint8Array([1, 0]))).toEqual({});
  });

  test('drops empty file lists', () => {
    expect(decode(encodeVersionEdit({ addedFiles: [], removedFiles: [] }))).toEqual({});
  });

  test('refuses a newer edit version as NOT_SUPPORTED and version 0 as CORRUPTION', () => {
    expect(codeOf(() => decode(new Uint8Array([FORMAT_VERSION_CURRENT + 1, 0])))).toBe('NOT_SUPPORTED');
    expect(codeOf(() => decode(new Uint8Array([2, 0])))).toBe('CORRUPTION');
    expect(codeOf(() => decode(new Uint8Array([0, 0])))).toBe('CORRUPTION');
    expect(codeOf(() => decode(new Uint8Array([])))).toBe('CORRUPTION');
  });

  test('refuses unknown, repeated and out-of-order tags', () => {
    expect(codeOf(() => decode(new Uint8Array([1, 7, 0, 0])))).toBe('CORRUPTION');
    expect(codeOf(() => decode(new Uint8Array([1, 1, 5, 1, 6, 0])))).toBe('CORRUPTION');
    expect(codeOf(() => decode(new Uint8Array([1, 2, 5, 1, 6, 0])))).toBe('CORRUPTION');
    expect(decode(new Uint8Array([1, 1, 5, 2, 6, 0]))).toEqual({ logNumber: 5, nextFileNumber: 6 });
  });

  test('reads the close marker only as `03 09 00`: alone, once, in version 3', () => {
    expect(decode(new Uint8Array([3, 9, 0]))).toEqual({ closed: true });
    expect(encodeVersionEdit({ closed: true })).toEqual(new Uint8Array([3, 9, 0]));
    for (const bytes of [
      [3, 0], // version 3 without the marker
      [3, 1, 5, 9, 0], // the marker beside a field
      [3, 9, 9, 0], // repeated
      [1, 9, 0], // tag 9 in version 1
      [2, 9, 0], // tag 9 in version 2
      [3, 9, 0, 0], // bytes after the end tag
    ]) {
      expect(codeOf(() => decode(new Uint8Array(bytes)))).toBe('CORRUPTION');
    }
    // It changes nothing in a version.
    const version = Version.empty().apply({ logNumber: 2, nextFileNumber: 9, lastSequence: 4 });
    expect(version.apply({ closed: true })).toEqual(version);
  });

  test('refuses an overlong varint', () => {
    expect(codeOf(() => decode(new Uint8Array([1, 1, 0x85, 0x00, 0])))).toBe('CORRUPTION');
  });

  test('refuses fields that break a rule on their own', () => {
    const valid = file({ level: 1, fileNumber: 9, smallest: 'b', largest: 'c' });
    const cases: VersionEdit[] = [
      { addedFiles: [{ ...valid, level: 7 }] },
      { addedFiles: [{ ...valid, smallestKey: valid.largestKey, largestKey: valid.smallestKey }] },
      { addedFiles: [{ ...valid, seqMin: 11, seqMax: 10 }] },
      { addedFiles: [{ ...valid, tombstoneCount: 11, entryCount: 10 }] },
      { addedFiles: [{ ...valid, smallestKey: new Uint8Array(KEY_BYTES_MAX + 1), largestKey: new Uint8Array(KEY_BYTES_MAX + 1) }] },
      { removedFiles: [{ level: 9, fileNumber: 1 }] },
    ];
    for (const edit of cases) {
      // The encoder refuses them too: writing such an edit is a bug.
      expect(() => encodeVersionEdit(edit)).toThrow(/assertion failed/);
      expect(codeOf(() => decode(encodeUnchecked(edit)))).toBe('CORRUPTION');
    }
  });

  test('refuses an options flag other than 0 and 1', () => {
    expect(codeOf(() => decode(new Uint8Array([1, 4, 0x80, 0x20, 2, 0])))).toBe('CORRUPTION');
    expect(decode(new Uint8Array([1, 4, 0x80, 0x20, 1, 16, 100, 0]))).toEqual({ options: { pageSizeBytes: 4096, fixedWidth: { keySize: 16, valueSize: 100 } } });
  });
});

/**
 * Encodes a version-1 edit holding only added or removed files without the encoder's checks,
 * so the decoder's checks can be tested on bytes a buggy writer might produce.
 */
function encodeUnchecked(edit: VersionEdit): Uint8Array {
  const out: number[] = [1];
  const varint = (value: number): void => {
    let rest = value;
    while (rest >= 0x80) {
      out.push((rest % 128) | 0x80);
      rest = Math.floor(rest / 128);
    }
    out.push(rest);
  };
  for (const removed of edit.removedFiles ?? []) [EditTag.RemovedFile, removed.level, removed.fileNumber].forEach(varint);
  for (const added of edit.addedFiles ?? []) {
    [EditTag.AddedFile, added.level, added.fileNumber, added.sizeBytes].forEach(varint);
    for (const k of [added.smallestKey, added.largestKey]) {
      varint(k.length);
      out.push(...k);
    }
    [added.seqMin, added.seqMax, added.entryCount, added.tombstoneCount].forEach(varint);
  }
  out.push(EditTag.End);
  return new Uint8Array(out);
}
