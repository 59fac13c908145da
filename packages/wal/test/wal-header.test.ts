import { isKvError, viewOf, writeUint64 } from '@kv/base';
import { describe, expect, test } from 'vitest';
import { encodeFragment } from '../src/encode-records.js';
import { BLOCK_SIZE_BYTES, FragmentType, HEADER_RECORD_BYTES_V1, WAL_MAGIC, WalReader, encodeHeaderRecord, encodeRecords } from '../src/index.js';
import type { WalRecoveryMode } from '../src/index.js';
import { logCrcSeed } from '../src/log-crc.js';
import { LOG_NUMBER, LOG_PATH, patterned, readLogOrError, vfsWithLog } from './helpers.js';

const MODES: readonly WalRecoveryMode[] = ['tolerateCorruptedTail', 'absoluteConsistency', 'pointInTime', 'skipCorrupted'];

/** A header record with chosen fields and a correct checksum, so only the chosen field is wrong. */
function header(fields: { magic?: Uint8Array; version?: number; logNumber?: number; type?: FragmentType }): Uint8Array {
  const payload = new Uint8Array(32);
  payload.set(fields.magic ?? WAL_MAGIC, 0);
  viewOf(payload).setUint16(8, fields.version ?? 1, true);
  writeUint64(viewOf(payload), 10, fields.logNumber ?? LOG_NUMBER);
  const bytes = new Uint8Array(HEADER_RECORD_BYTES_V1);
  encodeFragment(bytes, { headerOffset: 0, type: fields.type ?? FragmentType.Header, payload, seed: logCrcSeed(fields.logNumber ?? LOG_NUMBER) });
  return bytes;
}

/** A log file: `head`, then two small records of log LOG_NUMBER. */
async function logWith(head: Uint8Array): Promise<Awaited<ReturnType<typeof vfsWithLog>>> {
  const records = encodeRecords([patterned(10, 1), patterned(20, 2)], { logNumber: LOG_NUMBER, fileOffset: head.length });
  const bytes = new Uint8Array(head.length + records.bytes.length);
  bytes.set(head, 0);
  bytes.set(records.bytes, head.length);
  return vfsWithLog(bytes);
}

async function codeIn(mode: WalRecoveryMode, head: Uint8Array): Promise<string | undefined> {
  const outcome = await readLogOrError(await logWith(head), { mode });
  if (!('error' in outcome)) return undefined;
  return isKvError(outcome.error) ? outcome.error.code : 'not a KvError';
}

describe('log header', () => {
  test('encodes magic, version 1 and the log number', () => {
    const bytes = encodeHeaderRecord({ logNumber: 0x0102 });
    expect(bytes.length).toBe(39);
    expect(Array.from(bytes.subarray(4, 7))).toEqual([32, 0, FragmentType.Header]);
    expect(new TextDecoder().decode(bytes.subarray(7, 12))).toBe('kvwal');
    expect(Array.from(bytes.subarray(15, 27))).toEqual([1, 0, 0x02, 0x01, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(bytes.subarray(25).every((byte) => byte === 0)).toBe(true);
    expect(bytes).toEqual(header({ logNumber: 0x0102 }));
  });

  test.each(MODES)('rejects a wrong magic as CORRUPTION in %s', async (mode) => {
    expect(await codeIn(mode, header({ magic: new TextEncoder().encode('leveldb!') }))).toBe('CORRUPTION');
  });

  test.each(MODES)('rejects a future format version as NOT_SUPPORTED in %s', async (mode) => {
    expect(await codeIn(mode, header({ version: 2 }))).toBe('NOT_SUPPORTED');
    expect(await codeIn(mode, header({ version: 0 }))).toBe('NOT_SUPPORTED');
  });

  test.each(MODES)('rejects another log number as CORRUPTION in %s', async (mode) => {
    const outcome = await readLogOrError(await logWith(header({ logNumber: LOG_NUMBER + 1 })), { mode });
    expect('error' in outcome && isKvError(outcome.error, 'CORRUPTION')).toBe(true);
    expect('error' in outcome && outcome.error instanceof Error && outcome.error.message).toContain('log number mismatch');
  });

  test('rejects a first fragment that is not a header', async () => {
    expect(await codeIn('tolerateCorruptedTail', header({ type: FragmentType.Full }))).toBe('CORRUPTION');
  });

  test('reads a file with a good header as its records', async () => {
    const outcome = await readLogOrError(await logWith(header({})), { mode: 'absoluteConsistency' });
    expect('records' in outcome && outcome.records.length).toBe(2);
  });

  test('treats a zero-filled header with nothing after it as an empty log', async () => {
    const vfs = await vfsWithLog(new Uint8Array(4096));
    const outcome = await readLogOrError(vfs);
    expect('records' in outcome && outcome.report).toMatchObject({ records: 0, stoppedEarly: true, droppedBytes: 4096 });
  });

  test('reports a zero-filled header followed by records as CORRUPTION, and skips it in skipCorrupted', async () => {
    const later = encodeRecords([patterned(10, 1)], { logNumber: LOG_NUMBER, fileOffset: BLOCK_SIZE_BYTES });
    const bytes = new Uint8Array(BLOCK_SIZE_BYTES + later.bytes.length);
    bytes.set(later.bytes, BLOCK_SIZE_BYTES);
    const vfs = await vfsWithLog(bytes);
    expect(await readLogOrError(vfs).then((outcome) => 'error' in outcome && isKvError(outcome.error, 'CORRUPTION'))).toBe(true);
    const skipped = await readLogOrError(vfs, { mode: 'skipCorrupted' });
    expect('records' in skipped && skipped.records.map((record) => record.position)).toEqual(later.positions);
  });

  test('open() itself rejects a header it cannot read', async () => {
    const vfs = await logWith(header({ version: 9 }));
    await expect(WalReader.open(vfs, LOG_PATH, { logNumber: LOG_NUMBER })).rejects.toMatchObject({ code: 'NOT_SUPPORTED' });
  });
});
