/**
 * Constants of the page-file (sstable) format. Wire format: never change. Versions are only
 * ever appended. The grammar, edge rules and rationale are in ../FORMAT.md.
 */

/** Page sizes a file may use: powers of two from 1 KiB to 64 KiB, chosen at creation. */
export const PAGE_SIZE_BYTES_MIN = 1024;
export const PAGE_SIZE_BYTES_MAX = 65_536;
export const PAGE_SIZE_BYTES_DEFAULT = 4096;

/**
 * Every page image starts with this header:
 * masked CRC-32 of bytes 4..end (4) | kind (1) | reserved 0 (1) | count (2) | page id (4) | extra (4).
 */
export const PAGE_HEADER_BYTES = 16;
export const PAGE_CRC_OFFSET = 0;
export const PAGE_KIND_OFFSET = 4;
export const PAGE_RESERVED_OFFSET = 5;
export const PAGE_COUNT_OFFSET = 6;
export const PAGE_ID_OFFSET = 8;
export const PAGE_EXTRA_OFFSET = 12;

/** Page kinds (byte 4 of every page). */
export const PageKind = { Data: 1, Overflow: 2, Index: 3, Bloom: 4, Properties: 5, Footer: 6 } as const;
export type PageKind = (typeof PageKind)[keyof typeof PageKind];

/**
 * A sequence number takes 7 bytes (little-endian), followed by one kind/flags byte. Seqs are at
 * most 2^53 - 1, so the top 3 bits of the 7 bytes are always zero.
 */
export const SEQ_BYTES = 7;
export const SEQ_MAX: number = Number.MAX_SAFE_INTEGER;

/** Variable-width slot: key length (2) | key heap offset (2) | inline key prefix (K) | seq (7) | flags (1) | value heap offset (2) | value length (4). */
export const VAR_SLOT_FIXED_BYTES = 18;

/** Bits of the flags byte of a variable-width slot. Other bits are zero. */
export const SLOT_FLAG_PUT = 0x01;
export const SLOT_FLAG_KEY_OVERFLOW = 0x02;
export const SLOT_FLAG_VALUE_OVERFLOW = 0x04;
/** Since version 2: with `SLOT_FLAG_PUT`, the entry is a `PutExpiring` (value = expiry + user value). */
export const SLOT_FLAG_EXPIRING = 0x08;
export const SLOT_FLAGS_KNOWN = 0x0f;

/** Inline key prefix width K of variable-width slots: chosen per file, default fits 16-byte keys. */
export const INLINE_KEY_BYTES_DEFAULT = 16;
export const INLINE_KEY_BYTES_MAX = 64;

/** An out-of-line reference stored in a page's heap: file offset (8) | stored bytes (4). */
export const OVERFLOW_REF_BYTES = 12;

/** Record limits. */
export const KEY_BYTES_MAX = 65_535;
export const VALUE_BYTES_MAX: number = 64 * 1024 * 1024;

/** LZ4 frames: masked CRC-32 of bytes 4..end (4) | payload length (4) | codec (1) | payload. */
export const FRAME_HEADER_BYTES = 9;
export const FRAME_LENGTH_OFFSET = 4;
export const FRAME_CODEC_OFFSET = 8;
export const FrameCodec = { Raw: 0, Lz4: 1 } as const;
export type FrameCodec = (typeof FrameCodec)[keyof typeof FrameCodec];

/** Compression codes in the footer. */
export const CompressionCode = { None: 0, Lz4: 1 } as const;
/** Slot layout codes in the footer. */
export const LayoutCode = { Variable: 0, Fixed: 1 } as const;

/** Index entry: data page file offset (8) | stored bytes (4) | last key length (4) | last seq (8) | last key. */
export const INDEX_ENTRY_FIXED_BYTES = 24;

/** Bloom section: hash count (4) | bit count (4) | bits. Seed of the 32-bit hash. */
export const BLOOM_HEADER_BYTES = 8;
export const BLOOM_HASH_SEED = 0xbc9f1d34;
export const BLOOM_BITS_PER_KEY_DEFAULT = 10;
export const BLOOM_HASH_COUNT_MAX = 30;

/** Properties section fixed part; the smallest and largest keys follow. */
export const PROPERTIES_FIXED_BYTES = 48;

/** Footer record at offset 16 of the last page. */
export const FOOTER_RECORD_BYTES = 64;
/** The last 16 bytes of the last page: page size (4) | format version (2) | reserved (2) | magic (8). */
export const TRAILER_BYTES = 16;
/** "kvsst" and three zero bytes. */
export const TABLE_MAGIC: Uint8Array = new Uint8Array([0x6b, 0x76, 0x73, 0x73, 0x74, 0x00, 0x00, 0x00]);

/**
 * Since version 3, a variable-width data page starts with a descriptor after its header: the
 * key prefix every key of the page shares, and the width of each slot field, chosen per page
 * (see FORMAT.md, "Data page, compact slots"):
 * shared prefix length S (2) | inline suffix width (1) | key fields (1) | seq width (1) |
 * value fields (1) | uniform suffix length (2) | uniform value length (4) | seq base (7) |
 * reserved 0 (1), then the S prefix bytes, then the slots.
 */
export const DESCRIPTOR_BYTES = 20;
export const DESCRIPTOR_PREFIX_LENGTH_OFFSET = 16;
export const DESCRIPTOR_SUFFIX_WIDTH_OFFSET = 18;
export const DESCRIPTOR_KEY_FIELDS_OFFSET = 19;
export const DESCRIPTOR_SEQ_WIDTH_OFFSET = 20;
export const DESCRIPTOR_VALUE_FIELDS_OFFSET = 21;
export const DESCRIPTOR_UNIFORM_SUFFIX_OFFSET = 22;
export const DESCRIPTOR_UNIFORM_VALUE_OFFSET = 24;
export const DESCRIPTOR_SEQ_BASE_OFFSET = 28;
export const DESCRIPTOR_RESERVED_OFFSET = 35;
/** Key fields byte: bits 0-1 key (suffix) length width in bytes (0, 1 or 2), bit 2 key heap offset present. */
export const KEY_FIELDS_LENGTH_MASK = 0x03;
export const KEY_FIELDS_OFFSET_PRESENT = 0x04;
export const KEY_FIELDS_KNOWN = 0x07;
/**
 * Value fields byte: bits 0-1 value length width code (0: none, every put's value has the
 * uniform length; 1, 2, 3: 1, 2, 4 bytes), bit 2 values inline in the slot, bit 3 flags byte present.
 */
export const VALUE_FIELDS_LENGTH_MASK = 0x03;
export const VALUE_FIELDS_INLINE = 0x04;
export const VALUE_FIELDS_FLAGS_PRESENT = 0x08;
export const VALUE_FIELDS_KNOWN = 0x0f;
/** Value length widths by code. */
export const VALUE_LENGTH_WIDTHS: readonly number[] = [0, 1, 2, 4];
/** The builder shares at most this many prefix bytes per page (readers accept any that fit). */
export const SHARED_PREFIX_BYTES_MAX = 256;

/** Oldest format version this build reads. */
export const FORMAT_VERSION_MIN = 1;
/** Newest format version this build reads and writes. */
export const FORMAT_VERSION_CURRENT = 3;
/**
 * Which version a file is written with: variable-width files are version 3 (compact pages)
 * unless built with `legacyPages`; then, and for fixed-width files, version 1 unless the file
 * holds an expiring entry (`SLOT_FLAG_EXPIRING`, added in version 2).
 */
export const FORMAT_VERSION_FIRST = 1;
export const FORMAT_VERSION_EXPIRING = 2;
/** Variable-width data pages carry a descriptor and compact slots (the default for new files). */
export const FORMAT_VERSION_COMPACT_PAGES = 3;
