/** A write's position in the database's total order. Sequence numbers start at 1. */
export type SeqNum = number & { readonly __brand: 'SeqNum' };

/** The number in a database file's name (`000012.log`). */
export type FileNum = number & { readonly __brand: 'FileNum' };

/** Brands a safe non-negative integer as a `SeqNum`. */
export function toSeqNum(value: number): SeqNum {
  return value as SeqNum;
}

/** Brands a safe non-negative integer as a `FileNum`. */
export function toFileNum(value: number): FileNum {
  return value as FileNum;
}

/**
 * What an internal entry says about its key. Stored on disk by the WAL batch encoding and
 * page files: values never change.
 */
export const EntryKind = { Delete: 0, Put: 1 } as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];
