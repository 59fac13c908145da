/**
 * LZ4 frames: how a data or overflow page image is stored in an lz4 file. Frames are packed
 * back to back, so a page that compresses to 900 bytes takes 909 bytes on disk, not a page.
 * A page that saves less than an eighth is stored raw (codec 0) inside its frame: decoding it
 * then costs a copy-free view instead of a napi call.
 */
import { Buffer } from 'node:buffer';
import { CorruptionError, crc32, maskCrc } from '@kv/base';
import { compressSync, uncompressSync } from 'lz4-napi';
import { FRAME_CODEC_OFFSET, FRAME_HEADER_BYTES, FRAME_LENGTH_OFFSET, FrameCodec } from './format.js';

/** LZ4 output must be at most this fraction of the page to be kept compressed. */
const COMPRESSED_FRACTION_MAX = 7 / 8;

/** Encodes one page image as a frame (a new array). */
export function encodeFrame(image: Uint8Array): Uint8Array {
  const compressed = compressSync(Buffer.from(image.buffer, image.byteOffset, image.length));
  const useLz4 = compressed.length <= image.length * COMPRESSED_FRACTION_MAX;
  const payload: Uint8Array = useLz4 ? compressed : image;
  const frame = new Uint8Array(FRAME_HEADER_BYTES + payload.length);
  const view = new DataView(frame.buffer);
  view.setUint32(FRAME_LENGTH_OFFSET, payload.length, true);
  view.setUint8(FRAME_CODEC_OFFSET, useLz4 ? FrameCodec.Lz4 : FrameCodec.Raw);
  frame.set(payload, FRAME_HEADER_BYTES);
  view.setUint32(0, maskCrc(crc32(frame.subarray(4))), true);
  return frame;
}

export interface DecodedFrame {
  /** The page image: a view into `bytes` for raw frames, a new array for LZ4 ones. */
  image: Uint8Array;
  /** Bytes the frame occupies, header included. */
  frameBytes: number;
}

/**
 * Decodes the frame at `at` in `bytes`. The checksum is verified before the payload is
 * touched, so the decompressor only ever sees bytes the builder wrote.
 */
export function decodeFrame(bytes: Uint8Array, at: number, pageSizeBytes: number, where: string): DecodedFrame {
  if (at + FRAME_HEADER_BYTES > bytes.length) throw new CorruptionError(where, 'frame header runs past its range');
  const view = new DataView(bytes.buffer, bytes.byteOffset + at, FRAME_HEADER_BYTES);
  const length = view.getUint32(FRAME_LENGTH_OFFSET, true);
  const end = at + FRAME_HEADER_BYTES + length;
  if (length > pageSizeBytes || end > bytes.length) throw new CorruptionError(where, `frame length ${length} runs past its range`);
  if (maskCrc(crc32(bytes.subarray(at + 4, end))) !== view.getUint32(0, true)) throw new CorruptionError(where, 'frame checksum mismatch');
  const codec = view.getUint8(FRAME_CODEC_OFFSET);
  const payload = bytes.subarray(at + FRAME_HEADER_BYTES, end);
  const frameBytes = FRAME_HEADER_BYTES + length;
  if (codec === FrameCodec.Raw) {
    if (length !== pageSizeBytes) throw new CorruptionError(where, `raw frame of ${length} bytes in a ${pageSizeBytes}-byte page file`);
    return { image: payload, frameBytes };
  }
  if (codec !== FrameCodec.Lz4) throw new CorruptionError(where, `unknown frame codec ${codec}`);
  return { image: decompressPage(payload, pageSizeBytes, where), frameBytes };
}

function decompressPage(payload: Uint8Array, pageSizeBytes: number, where: string): Uint8Array {
  if (payload.length < 4) throw new CorruptionError(where, 'lz4 payload shorter than its size prefix');
  const declared = new DataView(payload.buffer, payload.byteOffset, 4).getUint32(0, true);
  if (declared !== pageSizeBytes) throw new CorruptionError(where, `lz4 payload declares ${declared} bytes`);
  let image: Uint8Array;
  try {
    image = uncompressSync(payload);
  } catch (error) {
    throw new CorruptionError(where, 'lz4 payload does not decompress', error);
  }
  if (image.length !== pageSizeBytes) throw new CorruptionError(where, `lz4 payload decompressed to ${image.length} bytes`);
  return new Uint8Array(image.buffer, image.byteOffset, image.length);
}
