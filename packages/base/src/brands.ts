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
 * page files: values never change, new kinds are only appended.
 * - `PutExpiring`: a put whose value starts with its expiry time (see `expiring-value.ts`);
 *   once that time has passed, the entry reads as a delete.
 */
export const EntryKind = { Delete: 0, Put: 1, PutExpiring: 2 } as const;
export type EntryKind = (typeof EntryKind)[keyof typeof EntryKind];

/** Whether entries of `kind` carry a value (every kind except a delete). */
export function hasValue(kind: EntryKind): boolean {
  return kind !== EntryKind.Delete;
}
