import { describe, expect, it } from 'vitest';
import { KvError } from '@kv/db';
import type { KvErrorCode } from '@kv/db';
import { toLevelError } from '../src/level-error.js';

describe('toLevelError', () => {
  it.each<[KvErrorCode, string]>([
    ['LOCKED', 'LEVEL_LOCKED'],
    ['CORRUPTION', 'LEVEL_CORRUPTION'],
    ['IO_ERROR', 'LEVEL_IO_ERROR'],
    ['NO_SPACE', 'LEVEL_IO_ERROR'],
    ['READ_ONLY', 'LEVEL_READONLY'],
    ['NOT_SUPPORTED', 'LEVEL_NOT_SUPPORTED'],
    ['NOT_OPEN', 'LEVEL_DATABASE_NOT_OPEN'],
  ])('rethrows %s as %s with the engine error as cause and its message', (code, levelCode) => {
    const engineError = new KvError(code, `something ${code}`);
    const mapped = toLevelError(engineError);
    expect(mapped).toBeInstanceOf(Error);
    expect(mapped).toMatchObject({ code: levelCode, message: `something ${code}`, cause: engineError });
  });

  it('keeps INVALID_ARGUMENT as the engine error, which abstract-level has no code for', () => {
    const engineError = new KvError('INVALID_ARGUMENT', 'key: 70000 bytes exceeds the maximum of 65535');
    expect(toLevelError(engineError)).toBe(engineError);
  });

  it('passes errors that are not engine errors through', () => {
    const typeError = new TypeError('not a snapshot');
    expect(toLevelError(typeError)).toBe(typeError);
  });
});
