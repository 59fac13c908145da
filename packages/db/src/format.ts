/**
 * Wire format of the engine's WAL payloads (write batches) and file names.
 * Wire format: never change. See ../FORMAT.md.
 */

/** Bytes of the batch header: sequence number (uint64 LE) + operation count (uint32 LE). */
export const BATCH_HEADER_BYTES = 12;

/** File-name digits: `000012.log`. Wider numbers are written in full. */
export const FILE_NUMBER_DIGITS = 6;

export const LOG_FILE_SUFFIX = '.log';
export const TABLE_FILE_SUFFIX = '.sst';
export const TEMP_FILE_SUFFIX = '.dbtmp';
export const LOCK_FILE_NAME = 'LOCK';
