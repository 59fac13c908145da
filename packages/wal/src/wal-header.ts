/**
 * The header record that opens every log file: a HEADER fragment whose payload names the
 * format (magic), its version and the log number. Magic, version and log number keep their
 * places in every version, so any reader can tell which version a file has.
 */
import { CorruptionError, NotSupportedError, readUint64LE, unmaskCrc, viewOf, writeUint64 } from '@kv/base';
import { encodeFragment } from './encode-records.js';
import {
  BLOCK_SIZE_BYTES,
  FORMAT_VERSION_CURRENT,
  FORMAT_VERSION_MIN,
  FRAGMENT_HEADER_BYTES,
  FRAGMENT_LENGTH_OFFSET,
  FRAGMENT_TYPE_OFFSET,
  FragmentType,
  HEADER_FROZEN_PREFIX_BYTES,
  HEADER_LOG_NUMBER_OFFSET,
  HEADER_MAGIC_OFFSET,
  HEADER_PAYLOAD_BYTES_V1,
  HEADER_RECORD_BYTES_V1,
  HEADER_VERSION_OFFSET,
  WAL_MAGIC,
} from './format.js';
import { fragmentCrc, logCrcSeed } from './log-crc.js';

/** The framed header record (39 bytes) of a new log file at offset 0. */
export function encodeHeaderRecord(options: { logNumber: number; version?: number }): Uint8Array {
  const payload = new Uint8Array(HEADER_PAYLOAD_BYTES_V1);
  payload.set(WAL_MAGIC, HEADER_MAGIC_OFFSET);
  const view = viewOf(payload);
  view.setUint16(HEADER_VERSION_OFFSET, options.version ?? FORMAT_VERSION_CURRENT, true);
  writeUint64(view, HEADER_LOG_NUMBER_OFFSET, options.logNumber);
  const bytes = new Uint8Array(HEADER_RECORD_BYTES_V1);
  encodeFragment(bytes, { headerOffset: 0, type: FragmentType.Header, payload, seed: logCrcSeed(options.logNumber) });
  return bytes;
}

/**
 * What the start of a file holds: `missing` (the file is empty), `torn` (shorter than a header:
 * a crash during creation), `zeros` (a zero-filled header region) or a `valid` header whose
 * records start at `recordsOffset`.
 */
export type HeaderState =
  | { kind: 'missing' }
  | { kind: 'torn' }
  | { kind: 'zeros' }
  | { kind: 'valid'; version: number; recordsOffset: number };

/**
 * Classifies the first block of a log file (`block` holds its first bytes, up to one block).
 * A complete header that is not valid throws: `CorruptionError` for damage, a foreign file or
 * the wrong log number, `NotSupportedError` for a version this build does not read.
 */
export function decodeHeader(block: Uint8Array, options: { where: string; expectedLogNumber: number }): HeaderState {
  if (block.length === 0) return { kind: 'missing' };
  if (block.length < HEADER_RECORD_BYTES_V1) return { kind: 'torn' };
  if (block.subarray(0, HEADER_RECORD_BYTES_V1).every((byte) => byte === 0)) return { kind: 'zeros' };
  const corrupt = (detail: string): CorruptionError => new CorruptionError(options.where, `offset 0: ${detail}`);
  const view = viewOf(block);
  const payloadBytes = view.getUint16(FRAGMENT_LENGTH_OFFSET, true);
  if (view.getUint8(FRAGMENT_TYPE_OFFSET) !== FragmentType.Header) throw corrupt('first fragment is not a header');
  if (payloadBytes < HEADER_FROZEN_PREFIX_BYTES || payloadBytes > BLOCK_SIZE_BYTES - FRAGMENT_HEADER_BYTES) {
    throw corrupt(`header length ${payloadBytes} out of range`);
  }
  if (FRAGMENT_HEADER_BYTES + payloadBytes > block.length) throw corrupt('header extends past the end of the file');
  const payload = block.subarray(FRAGMENT_HEADER_BYTES, FRAGMENT_HEADER_BYTES + payloadBytes);
  if (!WAL_MAGIC.every((byte, i) => payload[HEADER_MAGIC_OFFSET + i] === byte)) throw corrupt('bad magic: not a kv WAL file');
  const fileLogNumber = readUint64LE(payload, HEADER_LOG_NUMBER_OFFSET);
  if (fileLogNumber === undefined) throw corrupt('header log number exceeds 2^53');
  const crc = fragmentCrc(block, { headerOffset: 0, payloadBytes, seed: logCrcSeed(fileLogNumber) });
  if (crc !== unmaskCrc(view.getUint32(0, true))) throw corrupt('header checksum mismatch');
  const version = viewOf(payload).getUint16(HEADER_VERSION_OFFSET, true);
  if (version < FORMAT_VERSION_MIN || version > FORMAT_VERSION_CURRENT) {
    throw new NotSupportedError(options.where, `format version ${version}; this build reads ${FORMAT_VERSION_MIN}..${FORMAT_VERSION_CURRENT}`);
  }
  if (payloadBytes !== HEADER_PAYLOAD_BYTES_V1) throw corrupt(`version 1 header has length ${payloadBytes}`);
  if (!payload.subarray(HEADER_FROZEN_PREFIX_BYTES).every((byte) => byte === 0)) throw corrupt('reserved header bytes are not zero');
  if (fileLogNumber !== options.expectedLogNumber) {
    throw corrupt(`log number mismatch: the file has ${fileLogNumber}, expected ${options.expectedLogNumber}`);
  }
  return { kind: 'valid', version, recordsOffset: HEADER_RECORD_BYTES_V1 };
}
