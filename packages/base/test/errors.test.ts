import { describe, expect, it } from 'vitest';
import type { KvErrorCode } from '../src/index.js';
import {
  AssertionError,
  CorruptionError,
  InvalidArgumentError,
  IoError,
  KvError,
  LockedError,
  NoSpaceError,
  NotOpenError,
  NotSupportedError,
  ReadOnlyError,
  assert,
  isKvError,
} from '../src/index.js';

describe('errors', () => {
  it.each([
    [new CorruptionError('wal', 'bad crc'), 'CORRUPTION'],
    [new InvalidArgumentError('key', 'empty'), 'INVALID_ARGUMENT'],
    [new IoError('open', 'failed', { osCode: 'EIO' }), 'IO_ERROR'],
    [new NoSpaceError('append'), 'NO_SPACE'],
    [new NotOpenError('database'), 'NOT_OPEN'],
    [new LockedError('/db/LOCK', 'held'), 'LOCKED'],
    [new ReadOnlyError('read-only'), 'READ_ONLY'],
    [new NotSupportedError('wal', 'version 9'), 'NOT_SUPPORTED'],
  ] as [KvError, KvErrorCode][])('gives %s the code %s', (error, code) => {
    expect(error).toBeInstanceOf(KvError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(isKvError(error, code)).toBe(true);
  });

  it('keeps the cause and the OS code', () => {
    const cause = Object.assign(new Error('disk'), { code: 'EIO' });
    const error = new IoError('read', 'failed', { cause, osCode: 'EIO' });
    expect(error.cause).toBe(cause);
    expect(error.osCode).toBe('EIO');
    expect(new CorruptionError('page', 'crc', cause).cause).toBe(cause);
  });

  it('throws AssertionError, which is not a KvError', () => {
    expect(() => assert(false, 'a fact')).toThrow(AssertionError);
    expect(isKvError(new AssertionError('x'))).toBe(false);
  });
});
