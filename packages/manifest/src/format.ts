/**
 * Constants of the manifest format: the version-edit encoding, the file names and CURRENT.
 * Wire format: never change. Versions are only ever appended. The grammar, edge rules and
 * rationale are in ../FORMAT.md.
 */

/**
 * The version number every encoded edit starts with. A reader accepts `FORMAT_VERSION_MIN`
 * through `FORMAT_VERSION_CURRENT`; a newer one is `NOT_SUPPORTED`, zero is `CORRUPTION`.
 */
export const FORMAT_VERSION_MIN = 1;
export const FORMAT_VERSION_FIRST = 1;
export const FORMAT_VERSION_CURRENT = 3;
/**
 * Version 2 adds the range-tombstone tags. An edit is written with the lowest version that can
 * express it, so an edit without range tombstones stays version 1.
 */
export const FORMAT_VERSION_RANGE_TOMBSTONES = 2;
/**
 * Version 3 adds the close marker: the edit `03 09 00` (tag 9 alone), which `Manifest.close`
 * appends and syncs when every edit before it was synced. No other edit is version 3.
 */
export const FORMAT_VERSION_CLOSE_MARKER = 3;

/**
 * Field tags of a version-1 edit. Fields appear in ascending tag order; the first four at most
 * once, `RemovedFile` and `AddedFile` once per file. `End` closes every edit, so a truncated
 * edit never decodes. Any other tag is `CORRUPTION` in version 1: a later version that adds
 * tags also bumps the edit version, so old readers refuse it whole.
 */
export const EditTag = {
  End: 0,
  LogNumber: 1,
  NextFileNumber: 2,
  LastSequence: 3,
  Options: 4,
  RemovedFile: 5,
  AddedFile: 6,
  RemovedRangeTombstone: 7,
  AddedRangeTombstone: 8,
  /** Only in the close marker, the one version 3 edit: `03 09 00`. */
  Closed: 9,
} as const;
export type EditTag = (typeof EditTag)[keyof typeof EditTag];

/** The largest tag of each version; every tag above it is unknown in that version. */
export const EDIT_TAG_MAX_V1 = 6;
export const EDIT_TAG_MAX_V2 = 8;

/** Levels 0 .. LEVEL_COUNT - 1. A level outside that range in an edit is `CORRUPTION`. */
export const LEVEL_COUNT = 7;

/** The longest smallest/largest key an edit may carry (the engine's key limit). */
export const KEY_BYTES_MAX = 65_535;

/** An added range tombstone's end flag: whether an end key follows. */
export const TombstoneEndFlag = { Unbounded: 0, Bounded: 1 } as const;

/** The options field's flag byte: whether `keySize` and `valueSize` follow. */
export const OptionsFlag = { VariableWidth: 0, FixedWidth: 1 } as const;

/** `MANIFEST-000005`: the prefix, then the number zero-padded to at least six digits. */
export const MANIFEST_FILE_PREFIX = 'MANIFEST-';
export const FILE_NUMBER_DIGITS = 6;
/** 2^53 - 1 has 16 digits: no file number is longer. */
export const FILE_NUMBER_DIGITS_MAX = 16;

/** The file naming the live manifest: its name and one `\n`, nothing else. */
export const CURRENT_FILE_NAME = 'CURRENT';
export const CURRENT_TERMINATOR = '\n';
/** More than any valid CURRENT holds (`MANIFEST-` + 16 digits + newline = 26 bytes). */
export const CURRENT_BYTES_MAX = 64;

/**
 * CURRENT is replaced through `<manifest number>.dbtmp` (LevelDB's convention): the engine
 * treats every name it does not recognise, this suffix included, as temporary.
 */
export const TEMP_FILE_SUFFIX = '.dbtmp';
