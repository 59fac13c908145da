/**
 * Inclusive user-key ranges of page files, and the overlap tests the picker is built from.
 */
import { assert, compareBytes } from '@kv/base';
import type { TableFileMeta } from '@kv/manifest';

/** An inclusive range of user keys. */
export interface KeySpan {
  smallest: Uint8Array;
  largest: Uint8Array;
}

/** The smallest span holding every file of `files`. Requires: at least one file. */
export function spanOf(files: readonly TableFileMeta[]): KeySpan {
  const first = files[0];
  assert(first !== undefined, 'span of at least one file');
  let smallest = first.smallestKey;
  let largest = first.largestKey;
  for (const file of files) {
    if (compareBytes(file.smallestKey, smallest) < 0) smallest = file.smallestKey;
    if (compareBytes(file.largestKey, largest) > 0) largest = file.largestKey;
  }
  return { smallest, largest };
}

/** Whether `file` holds a key inside `span`. */
export function fileOverlaps(file: TableFileMeta, span: KeySpan): boolean {
  return compareBytes(file.largestKey, span.smallest) >= 0 && compareBytes(file.smallestKey, span.largest) <= 0;
}

/** The files of `files` overlapping `span`, in their order. */
export function filesOverlapping(files: readonly TableFileMeta[], span: KeySpan): TableFileMeta[] {
  return files.filter((file) => fileOverlaps(file, span));
}

/** Whether two spans share a key. */
export function spansOverlap(a: KeySpan, b: KeySpan): boolean {
  return compareBytes(a.largest, b.smallest) >= 0 && compareBytes(a.smallest, b.largest) <= 0;
}
