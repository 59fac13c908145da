import { isKvError } from '@kv/base';
import { describe, expect, test } from 'vitest';
import { encodeFragment } from '../src/encode-records.js';
import { FRAGMENT_HEADER_BYTES, FragmentType, encodeHeaderRecord } from '../src/index.js';
import type { WalRecoveryMode } from '../src/index.js';
import { logCrcSeed } from '../src/log-crc.js';
import { LOG_NUMBER, patterned, readLogOrError, vfsWithLog } from './helpers.js';
import type { ReadOutcome } from './helpers.js';

/** A log whose records area holds exactly `fragments`, each with a valid checksum. */
async function craftedLog(fragments: readonly { type: FragmentType; payload: Uint8Array }[]): Promise<Awaited<ReturnType<typeof vfsWithLog>>> {
  const head = encodeHeaderRecord({ logNumber: LOG_NUMBER });
  let size = head.length;
  for (const fragment of fragments) size += FRAGMENT_HEADER_BYTES + fragment.payload.length;
  const bytes = new Uint8Array(size);
  bytes.set(head, 0);
  let at = head.length;
  for (const fragment of fragments) {
    encodeFragment(bytes, { headerOffset: at, type: fragment.type, payload: fragment.payload, seed: logCrcSeed(LOG_NUMBER) });
    at += FRAGMENT_HEADER_BYTES + fragment.payload.length;
  }
  return vfsWithLog(bytes);
}

async function read(vfs: Awaited<ReturnType<typeof vfsWithLog>>, mode: WalRecoveryMode): Promise<ReadOutcome | 'CORRUPTION'> {
  const outcome = await readLogOrError(vfs, { mode });
  if (!('error' in outcome)) return outcome;
  if (isKvError(outcome.error, 'CORRUPTION')) return 'CORRUPTION';
  throw outcome.error;
}

const a = patterned(5, 1);
const b = patterned(6, 2);
const c = patterned(7, 3);

describe('fragment sequence errors', () => {
  test('a FIRST interrupted by a FULL damages the first record', async () => {
    const vfs = await craftedLog([
      { type: FragmentType.Full, payload: a },
      { type: FragmentType.First, payload: b },
      { type: FragmentType.Full, payload: c },
    ]);
    expect(await read(vfs, 'tolerateCorruptedTail')).toBe('CORRUPTION');
    expect(await read(vfs, 'absoluteConsistency')).toBe('CORRUPTION');
    const pointInTime = await read(vfs, 'pointInTime');
    expect(pointInTime !== 'CORRUPTION' && pointInTime.records.map((record) => record.payload)).toEqual([a]);
    const skipped = await read(vfs, 'skipCorrupted');
    expect(skipped !== 'CORRUPTION' && skipped.records.map((record) => record.payload)).toEqual([a, c]);
    expect(skipped !== 'CORRUPTION' && skipped.report.corruptions).toEqual([{ offset: 51, detail: 'record interrupted by a new record' }]);
    expect(skipped !== 'CORRUPTION' && skipped.report.droppedBytes).toBe(13);
  });

  test('a MIDDLE or LAST without a FIRST is damage, never a record', async () => {
    for (const orphan of [FragmentType.Middle, FragmentType.Last]) {
      const vfs = await craftedLog([
        { type: orphan, payload: a },
        { type: FragmentType.Full, payload: b },
      ]);
      expect(await read(vfs, 'tolerateCorruptedTail')).toBe('CORRUPTION');
      const skipped = await read(vfs, 'skipCorrupted');
      expect(skipped !== 'CORRUPTION' && skipped.records.map((record) => record.payload)).toEqual([b]);
    }
  });

  test('a FIRST, MIDDLE, LAST sequence inside one block is one record', async () => {
    const vfs = await craftedLog([
      { type: FragmentType.First, payload: a },
      { type: FragmentType.Middle, payload: b },
      { type: FragmentType.Last, payload: c },
    ]);
    const outcome = await read(vfs, 'absoluteConsistency');
    expect(outcome !== 'CORRUPTION' && outcome.records.map((record) => record.payload)).toEqual([new Uint8Array([...a, ...b, ...c])]);
    expect(outcome !== 'CORRUPTION' && outcome.records[0]?.position).toEqual({ offset: 39, length: 39 });
  });

  test('an unfinished record at the end of the file is a torn tail', async () => {
    const vfs = await craftedLog([
      { type: FragmentType.Full, payload: a },
      { type: FragmentType.First, payload: b },
      { type: FragmentType.Middle, payload: c },
    ]);
    const tolerated = await read(vfs, 'tolerateCorruptedTail');
    expect(tolerated !== 'CORRUPTION' && tolerated.records.map((record) => record.payload)).toEqual([a]);
    expect(tolerated !== 'CORRUPTION' && tolerated.report.corruptions[0]?.detail).toBe('incomplete record at end of file');
    expect(await read(vfs, 'absoluteConsistency')).toBe('CORRUPTION');
  });

  test('a second HEADER fragment inside the log is damage', async () => {
    const vfs = await craftedLog([
      { type: FragmentType.Header, payload: a },
      { type: FragmentType.Full, payload: b },
    ]);
    expect(await read(vfs, 'tolerateCorruptedTail')).toBe('CORRUPTION');
    const skipped = await read(vfs, 'skipCorrupted');
    expect(skipped !== 'CORRUPTION' && skipped.report.corruptions[0]?.detail).toContain('unexpected fragment type 5');
  });
});
