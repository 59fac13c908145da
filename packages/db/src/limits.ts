/**
 * Size limits of the engine. Keys and values larger than these are INVALID_ARGUMENT before
 * anything is written. They bound memory per operation and keep every length field of the
 * on-disk formats comfortably inside its width.
 */

/** Longest key, in bytes. Empty keys are allowed. */
export const KEY_SIZE_MAX_BYTES = 65_535;

/** Longest value, in bytes. Empty values are stored and read back as 0-byte arrays. */
export const VALUE_SIZE_MAX_BYTES: number = 64 * 1024 * 1024;

/** Most operations in one atomic batch. */
export const BATCH_OPS_MAX = 1_000_000;

/** Most encoded bytes in one atomic batch (one WAL record). */
export const BATCH_SIZE_MAX_BYTES: number = 256 * 1024 * 1024;

/** Longest time-to-live of a put, in milliseconds (about 285,000 years: no overflow with any clock). */
export const TTL_MAX_MS: number = 2 ** 52;
