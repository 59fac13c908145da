/**
 * The closed set of error codes every kv package throws. Callers branch on `code`,
 * never on the message.
 */
export type KvErrorCode =
  | 'INVALID_ARGUMENT'
  | 'NOT_OPEN'
  | 'LOCKED'
  | 'CORRUPTION'
  | 'IO_ERROR'
  | 'NO_SPACE'
  | 'READ_ONLY'
  | 'NOT_SUPPORTED';

/** Every error a kv package throws on purpose. `cause` keeps the lower-level failure. */
export class KvError extends Error {
  readonly code: KvErrorCode;

  constructor(code: KvErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = 'KvError';
  }
}

/** Bytes read from storage are not what was written: a checksum, magic or bound failed. */
export class CorruptionError extends KvError {
  constructor(where: string, detail: string, cause?: unknown) {
    super('CORRUPTION', `${where}: ${detail}`, { cause });
  }
}

/** A caller passed something the API does not accept. Nothing was written. */
export class InvalidArgumentError extends KvError {
  constructor(what: string, detail: string) {
    super('INVALID_ARGUMENT', `${what}: ${detail}`);
  }
}

/** The object was used before it was opened or after it was closed. */
export class NotOpenError extends KvError {
  constructor(what: string) {
    super('NOT_OPEN', `${what} is not open`);
  }
}

/** Another holder (this process or another) owns the lock on a database directory. */
export class LockedError extends KvError {
  constructor(path: string, detail: string) {
    super('LOCKED', `${path}: ${detail}`);
  }
}

/** The operating system refused an I/O operation. `osCode` is its errno name, e.g. `ENOENT`. */
export class IoError extends KvError {
  readonly osCode: string | undefined;

  constructor(where: string, detail: string, options?: { cause?: unknown; osCode?: string }) {
    super('IO_ERROR', `${where}: ${detail}`, { cause: options?.cause });
    this.osCode = options?.osCode;
  }
}

/** The device is full (ENOSPC, EDQUOT). The failed operation wrote nothing that counts. */
export class NoSpaceError extends KvError {
  constructor(where: string, cause?: unknown) {
    super('NO_SPACE', `${where}: no space left on device`, { cause });
  }
}

/** A write was attempted on a database opened read-only or turned read-only by a failure. */
export class ReadOnlyError extends KvError {
  constructor(detail: string) {
    super('READ_ONLY', detail);
  }
}

/** The input uses a format version or feature this build does not know. */
export class NotSupportedError extends KvError {
  constructor(what: string, detail: string) {
    super('NOT_SUPPORTED', `${what}: ${detail}`);
  }
}

/** True when `error` is a `KvError`, optionally with the given code. */
export function isKvError(error: unknown, code?: KvErrorCode): error is KvError {
  return error instanceof KvError && (code === undefined || error.code === code);
}
