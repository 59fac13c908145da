/**
 * The per-file parameters that decide where every byte goes: page size, compression and the
 * slot layout. The builder derives them from `TableBuildOptions`; the reader from the footer.
 */
import { InvalidArgumentError } from '@kv/base';
import {
  BLOOM_BITS_PER_KEY_DEFAULT,
  DESCRIPTOR_BYTES,
  INLINE_KEY_BYTES_DEFAULT,
  INLINE_KEY_BYTES_MAX,
  KEY_BYTES_MAX,
  OVERFLOW_REF_BYTES,
  PAGE_HEADER_BYTES,
  PAGE_SIZE_BYTES_DEFAULT,
  PAGE_SIZE_BYTES_MAX,
  PAGE_SIZE_BYTES_MIN,
  SEQ_BYTES,
  SHARED_PREFIX_BYTES_MAX,
  VALUE_BYTES_MAX,
  VAR_SLOT_FIXED_BYTES,
} from './format.js';

export type TableCompression = 'none' | 'lz4';

export interface FixedWidthSizes {
  keySize: number;
  valueSize: number;
}

export interface TableBuildOptions {
  /** A power of two from 1 KiB to 64 KiB. Default 4096. */
  pageSizeBytes?: number;
  /** Default 'none'. With 'lz4', data and overflow pages are stored as packed frames. */
  compression?: TableCompression;
  /** Bloom filter bits per distinct user key. Default 10; 0 writes no filter. */
  bloomBitsPerKey?: number;
  /** Strict fixed-width mode: every key and value has exactly these widths. */
  fixedWidth?: FixedWidthSizes;
  /** Variable-width mode only: key bytes kept inline in each slot (0..64). Default 16. */
  inlineKeyBytes?: number;
  /**
   * Variable-width mode only: write version 1/2 data pages (every slot field at full width,
   * no shared key prefix) instead of compact version 3 pages, so that builds which read only
   * versions 1 and 2 can read the file. Default false.
   */
  legacyPages?: boolean;
}

export interface TableLayout {
  readonly pageSizeBytes: number;
  readonly compression: TableCompression;
  /** Undefined in variable-width mode. */
  readonly fixedWidth: FixedWidthSizes | undefined;
  /** K, the inline key prefix width; 0 in fixed-width mode. */
  readonly inlineKeyBytes: number;
  /** Version 1/2 pages: the width of every slot. Compact pages: the widest slot a page can have. */
  readonly slotWidthBytes: number;
  /** Variable-width data pages are version 3 compact pages (a descriptor, per-page field widths). */
  readonly compactPages: boolean;
}

/** True when `n` is a power of two within the allowed page sizes. */
export function isValidPageSize(n: number): boolean {
  return Number.isInteger(n) && n >= PAGE_SIZE_BYTES_MIN && n <= PAGE_SIZE_BYTES_MAX && (n & (n - 1)) === 0;
}

/** Width of one slot for the given layout parameters. */
export function slotWidthOf(fixedWidth: FixedWidthSizes | undefined, inlineKeyBytes: number): number {
  if (fixedWidth !== undefined) return fixedWidth.keySize + SEQ_BYTES + 1 + fixedWidth.valueSize;
  return VAR_SLOT_FIXED_BYTES + inlineKeyBytes;
}

/** Validates caller options (INVALID_ARGUMENT) and derives the layout. */
export function resolveLayout(options: TableBuildOptions): TableLayout {
  const pageSizeBytes = options.pageSizeBytes ?? PAGE_SIZE_BYTES_DEFAULT;
  if (!isValidPageSize(pageSizeBytes)) throw new InvalidArgumentError('pageSizeBytes', `${pageSizeBytes} is not a power of two in 1024..65536`);
  const compression = options.compression ?? 'none';
  if (compression !== 'none' && compression !== 'lz4') throw new InvalidArgumentError('compression', `unknown value ${String(compression)}`);
  const fixedWidth = options.fixedWidth === undefined ? undefined : { ...options.fixedWidth };
  if (fixedWidth !== undefined) checkFixedWidth(fixedWidth);
  const inlineKeyBytes = fixedWidth === undefined ? (options.inlineKeyBytes ?? INLINE_KEY_BYTES_DEFAULT) : 0;
  if (!Number.isInteger(inlineKeyBytes) || inlineKeyBytes < 0 || inlineKeyBytes > INLINE_KEY_BYTES_MAX) {
    throw new InvalidArgumentError('inlineKeyBytes', `${inlineKeyBytes} is not an integer in 0..${INLINE_KEY_BYTES_MAX}`);
  }
  const slotWidthBytes = slotWidthOf(fixedWidth, inlineKeyBytes);
  if (PAGE_HEADER_BYTES + slotWidthBytes > pageSizeBytes) {
    throw new InvalidArgumentError('fixedWidth', `a ${slotWidthBytes}-byte slot does not fit a ${pageSizeBytes}-byte page`);
  }
  return { pageSizeBytes, compression, fixedWidth, inlineKeyBytes, slotWidthBytes, compactPages: fixedWidth === undefined && options.legacyPages !== true };
}

function checkFixedWidth(sizes: FixedWidthSizes): void {
  if (!Number.isInteger(sizes.keySize) || sizes.keySize < 0 || sizes.keySize > KEY_BYTES_MAX) {
    throw new InvalidArgumentError('fixedWidth.keySize', `${sizes.keySize} is not an integer in 0..${KEY_BYTES_MAX}`);
  }
  if (!Number.isInteger(sizes.valueSize) || sizes.valueSize < 0 || sizes.valueSize > VALUE_BYTES_MAX) {
    throw new InvalidArgumentError('fixedWidth.valueSize', `${sizes.valueSize} is not an integer in 0..${VALUE_BYTES_MAX}`);
  }
}

/** Validates the bloom option and returns bits per key (0 = no filter). */
export function resolveBloomBitsPerKey(options: TableBuildOptions): number {
  const bits = options.bloomBitsPerKey ?? BLOOM_BITS_PER_KEY_DEFAULT;
  if (!Number.isFinite(bits) || bits < 0 || bits > 64) throw new InvalidArgumentError('bloomBitsPerKey', `${bits} is not in 0..64`);
  return bits;
}

/**
 * The largest key kept in the page heap. A longer key goes to an overflow chain, so a page
 * with one slot, its key in the heap and a value reference always fits.
 */
export function keyLocalMaxBytes(layout: TableLayout): number {
  return layout.pageSizeBytes - PAGE_HEADER_BYTES - recordOverheadMaxBytes(layout) - OVERFLOW_REF_BYTES;
}

/**
 * The most bytes a page needs besides a lone record's key and value in the heap: its slot, and
 * for a compact page the descriptor and a shared prefix of the longest length the builder uses.
 */
export function recordOverheadMaxBytes(layout: TableLayout): number {
  return layout.compactPages ? DESCRIPTOR_BYTES + SHARED_PREFIX_BYTES_MAX + layout.slotWidthBytes : layout.slotWidthBytes;
}
