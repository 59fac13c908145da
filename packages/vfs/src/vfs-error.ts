import { IoError, KvError, NoSpaceError } from '@kv/base';

/** Human-readable text for the errno names both backends produce. */
const OS_MESSAGES: Readonly<Record<string, string>> = {
  EBADF: 'bad file descriptor',
  EBUSY: 'resource busy',
  EEXIST: 'file already exists',
  EFBIG: 'file too large',
  EINVAL: 'invalid argument',
  EIO: 'input/output error',
  EISDIR: 'is a directory',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'not a directory',
  ENOTEMPTY: 'directory not empty',
};

/** True for the errno names that mean the device is full. */
export function isNoSpaceCode(osCode: string | undefined): boolean {
  return osCode === 'ENOSPC' || osCode === 'EDQUOT';
}

/** Builds the error a backend throws for an errno name, without an underlying cause. */
export function osError(where: string, osCode: string): KvError {
  if (isNoSpaceCode(osCode)) return new NoSpaceError(where);
  return new IoError(where, OS_MESSAGES[osCode] ?? osCode, { osCode });
}

/** The errno name (`err.code`) of a node:fs failure, or undefined for anything else. */
export function errnoOf(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || !('code' in error)) return undefined;
  const code: unknown = error.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Wraps a node:fs failure: ENOSPC/EDQUOT become `NoSpaceError`, everything else `IoError`
 * carrying the errno name. A `KvError` passes through unchanged so wrapping twice is harmless.
 */
export function fromNodeError(where: string, error: unknown): KvError {
  if (error instanceof KvError) return error;
  const osCode = errnoOf(error);
  if (isNoSpaceCode(osCode)) return new NoSpaceError(where, error);
  const message = error instanceof Error ? error.message : String(error);
  return osCode === undefined
    ? new IoError(where, message, { cause: error })
    : new IoError(where, message, { cause: error, osCode });
}
