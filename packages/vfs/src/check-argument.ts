import { InvalidArgumentError } from '@kv/base';

/**
 * Rejects a byte position or size that is not a non-negative safe integer. Both backends call
 * this first so that a bad argument fails the same way everywhere and touches nothing.
 */
export function checkByteCount(where: string, name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError(where, `${name} must be a non-negative safe integer, got ${value}`);
  }
}
