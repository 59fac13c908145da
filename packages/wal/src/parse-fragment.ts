/**
 * Pure validation of one fragment inside a block. Bytes from disk are input: every way they
 * can be wrong is reported as damage, never thrown.
 */
import { unmaskCrc, viewOf } from '@kv/base';
import {
  BLOCK_SIZE_BYTES,
  FRAGMENT_CRC_OFFSET,
  FRAGMENT_HEADER_BYTES,
  FRAGMENT_LENGTH_OFFSET,
  FRAGMENT_TYPE_OFFSET,
  FragmentType,
} from './format.js';
import { fragmentCrc } from './log-crc.js';

/** The record-building fragment types; HEADER is valid only at offset 0. */
export type RecordFragmentType = typeof FragmentType.Full | typeof FragmentType.First | typeof FragmentType.Middle | typeof FragmentType.Last;

/**
 * The outcome of parsing at one place in a block. Offsets are within the block.
 * - `fragment`: a valid fragment; its payload is `[payloadStart, end)`.
 * - `blockEnd`: the block has nothing more (its end, or zero trailer padding).
 * - `damage`: the bytes here are not a valid fragment. `nextWithin` is where the next fragment
 *   would start if the length field were right (only when it is in bounds), so a reader can
 *   look for valid data after the damage. `zeroFilled`: the header is all zeros, space that
 *   was never written (preallocated, or an un-synced append the OS did not persist).
 */
export type FragmentParse =
  | { kind: 'fragment'; type: RecordFragmentType; payloadStart: number; end: number }
  | { kind: 'blockEnd' }
  | { kind: 'damage'; detail: string; nextWithin?: number; zeroFilled?: true };

/**
 * Parses the fragment at `within` in `block`. `block` holds the block's bytes that exist in the
 * file: a full block, or a shorter last block.
 */
export function parseFragment(block: Uint8Array, options: { within: number; seed: number }): FragmentParse {
  const { within } = options;
  if (within >= block.length) return { kind: 'blockEnd' };
  if (within > BLOCK_SIZE_BYTES - FRAGMENT_HEADER_BYTES) return parseTrailer(block, within);
  if (block.length - within < FRAGMENT_HEADER_BYTES) return { kind: 'damage', detail: 'truncated fragment header' };
  const view = viewOf(block);
  const length = view.getUint16(within + FRAGMENT_LENGTH_OFFSET, true);
  const type = view.getUint8(within + FRAGMENT_TYPE_OFFSET);
  const storedCrc = view.getUint32(within + FRAGMENT_CRC_OFFSET, true);
  const end = within + FRAGMENT_HEADER_BYTES + length;
  if (storedCrc === 0 && length === 0 && type === 0) return { kind: 'damage', detail: 'zero-filled region', zeroFilled: true };
  if (end > BLOCK_SIZE_BYTES) return { kind: 'damage', detail: `fragment length ${length} exceeds its block` };
  if (end > block.length) return { kind: 'damage', detail: 'truncated fragment' };
  const crc = fragmentCrc(block, { headerOffset: within, payloadBytes: length, seed: options.seed });
  if (crc !== unmaskCrc(storedCrc)) return { kind: 'damage', detail: 'checksum mismatch', nextWithin: end };
  if (!isRecordFragmentType(type)) return { kind: 'damage', detail: `unexpected fragment type ${type}`, nextWithin: end };
  return { kind: 'fragment', type, payloadStart: within + FRAGMENT_HEADER_BYTES, end };
}

/** The last bytes of a block, too few for a header, must be the writer's zero padding. */
function parseTrailer(block: Uint8Array, within: number): FragmentParse {
  for (let i = within; i < block.length; i++) {
    if (block[i] !== 0) return { kind: 'damage', detail: 'non-zero block trailer' };
  }
  return { kind: 'blockEnd' };
}

function isRecordFragmentType(type: number): type is RecordFragmentType {
  return type === FragmentType.Full || type === FragmentType.First || type === FragmentType.Middle || type === FragmentType.Last;
}
