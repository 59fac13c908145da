/**
 * Constants of the WAL file format. Wire format: never change. Versions are only ever
 * appended. The grammar, edge rules and rationale are in ../FORMAT.md.
 */

/** The file is cut into blocks of this size; a fragment header never straddles two blocks. */
export const BLOCK_SIZE_BYTES = 32_768;

/** Masked CRC-32 (4, LE) | payload length (2, LE) | fragment type (1). */
export const FRAGMENT_HEADER_BYTES = 7;

/** Offsets inside a fragment header. */
export const FRAGMENT_CRC_OFFSET = 0;
export const FRAGMENT_LENGTH_OFFSET = 4;
export const FRAGMENT_TYPE_OFFSET = 6;

/** The largest payload one fragment can carry (a whole block minus its header). */
export const FRAGMENT_PAYLOAD_BYTES_MAX: number = BLOCK_SIZE_BYTES - FRAGMENT_HEADER_BYTES;

/**
 * Fragment types. A record is either one FULL fragment or FIRST, any number of MIDDLE, then
 * LAST. HEADER appears exactly once, as the first fragment of the file.
 */
export const FragmentType = { Full: 1, First: 2, Middle: 3, Last: 4, Header: 5 } as const;
export type FragmentType = (typeof FragmentType)[keyof typeof FragmentType];

/**
 * The largest record payload writers produce and readers accept. Readers treat a record that
 * grows past it as damage, which bounds the memory a corrupt file can make them allocate.
 */
export const RECORD_PAYLOAD_BYTES_MAX: number = 256 * 1024 * 1024;

/** The first 8 bytes of the header payload: "kvwal" and three zero bytes. */
export const WAL_MAGIC: Uint8Array = new Uint8Array([0x6b, 0x76, 0x77, 0x61, 0x6c, 0x00, 0x00, 0x00]);

/** Offsets inside the header payload. Magic, version and log number are frozen for all versions. */
export const HEADER_MAGIC_OFFSET = 0;
export const HEADER_VERSION_OFFSET = 8;
export const HEADER_LOG_NUMBER_OFFSET = 10;
/** Bytes every version keeps at the same place, so any reader can identify the version. */
export const HEADER_FROZEN_PREFIX_BYTES = 18;
/** The version 1 header payload: the frozen prefix and 14 reserved zero bytes. */
export const HEADER_PAYLOAD_BYTES_V1 = 32;
/** The header fragment of a version 1 file, framing included; records start at this offset. */
export const HEADER_RECORD_BYTES_V1: number = FRAGMENT_HEADER_BYTES + HEADER_PAYLOAD_BYTES_V1;

/** Oldest format version this build reads. */
export const FORMAT_VERSION_MIN = 1;
/** Format version this build writes, and the newest it reads. */
export const FORMAT_VERSION_CURRENT = 1;
