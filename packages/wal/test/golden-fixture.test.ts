/**
 * Golden files: `test/fixtures/v1-*.log` were written once by this file (only when missing) and
 * are committed. They must never be regenerated: a reader that stops reading them, or an
 * encoder that stops reproducing them byte for byte, has changed the wire format.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { equalBytes } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { describe, expect, test } from 'vitest';
import { BLOCK_SIZE_BYTES, WalWriter } from '../src/index.js';
import { patterned, readLog, vfsWithLog } from './helpers.js';

const FIXTURE_V1 = new URL('./fixtures/v1-basic.log', import.meta.url);
const FIXTURE_LOG_NUMBER = 3;
const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** The input of v1-basic.log: a small record, an empty one, one spanning blocks 0 and 1, a last one. */
const V1_BATCHES: readonly (readonly Uint8Array[])[] = [[text('alpha'), new Uint8Array(0)], [patterned(40_000, 9)], [text('omega')]];

/** The positions the fixture's records must have (offsets and framed lengths). */
const V1_POSITIONS = [
  { offset: 39, length: 12 },
  { offset: 51, length: 7 },
  { offset: 58, length: 40_014 },
  { offset: 40_072, length: 12 },
];

async function encodeV1(): Promise<Uint8Array> {
  const vfs = new MemoryVfs();
  await vfs.mkdir('/db', { recursive: true });
  const writer = await WalWriter.create(vfs, '/db/000003.log', { logNumber: FIXTURE_LOG_NUMBER });
  for (const batch of V1_BATCHES) writer.appendSync(batch);
  await writer.close();
  return vfs.readFile('/db/000003.log');
}

describe('golden fixture v1-basic.log', () => {
  test('exists (written once if missing, never regenerated)', async () => {
    if (!existsSync(FIXTURE_V1)) writeFileSync(FIXTURE_V1, await encodeV1());
    expect(existsSync(FIXTURE_V1)).toBe(true);
  });

  test('reads back to exactly the original records and positions', async () => {
    const bytes = new Uint8Array(readFileSync(FIXTURE_V1));
    expect(bytes.length).toBe(40_084);
    expect(bytes.length).toBeGreaterThan(BLOCK_SIZE_BYTES);
    const vfs = await vfsWithLog(bytes, '/db/000003.log');
    const { records, report } = await readLog(vfs, { path: '/db/000003.log', logNumber: FIXTURE_LOG_NUMBER, mode: 'absoluteConsistency' });
    const expected = V1_BATCHES.flat();
    expect(records.length).toBe(expected.length);
    records.forEach((record, i) => expect(equalBytes(record.payload, expected[i] ?? new Uint8Array(1))).toBe(true));
    expect(records.map((record) => record.position)).toEqual(V1_POSITIONS);
    expect(report).toEqual({ records: 4, lastGoodOffset: 40_084, droppedBytes: 0, corruptions: [], stoppedEarly: false });
  });

  test('is reproduced byte for byte by the current encoder', async () => {
    const committed = new Uint8Array(readFileSync(FIXTURE_V1));
    expect(equalBytes(await encodeV1(), committed)).toBe(true);
  });

  test('starts with the documented header bytes', () => {
    const committed = new Uint8Array(readFileSync(FIXTURE_V1));
    const hex = Array.from(committed.subarray(0, 58), (byte) => byte.toString(16).padStart(2, '0')).join('');
    expect(hex).toMatchInlineSnapshot(`"d590da0c2000056b7677616c00000001000300000000000000000000000000000000000000000060cb1f26050001616c706861de3b7ed4000001"`);
  });
});
