/**
 * Turns caller input (Uint8Array or UTF-8 string) into bytes the engine owns. Every path
 * copies: the caller may reuse or mutate its buffer as soon as the call returns.
 */
import { InvalidArgumentError } from '@kv/base';
import { KEY_SIZE_MAX_BYTES, VALUE_SIZE_MAX_BYTES } from './limits.js';

const encoder = new TextEncoder();
/** Bytes of a string or byte array, copied; `undefined` for anything else. */
function toOwnedBytes(input: unknown): Uint8Array | undefined {
  if (typeof input === 'string') return encoder.encode(input);
  // `new Uint8Array(view)` copies into a plain Uint8Array even when given a Buffer.
  if (input instanceof Uint8Array) return new Uint8Array(input);
  return undefined;
}

/** A key the engine can keep. Throws INVALID_ARGUMENT for wrong types and oversized keys. */
export function toKey(input: unknown, what = 'key'): Uint8Array {
  const bytes = toOwnedBytes(input);
  if (bytes === undefined) throw new InvalidArgumentError(what, `must be a Uint8Array or a string, got ${describe(input)}`);
  if (bytes.length > KEY_SIZE_MAX_BYTES) {
    throw new InvalidArgumentError(what, `${bytes.length} bytes exceeds the maximum of ${KEY_SIZE_MAX_BYTES}`);
  }
  return bytes;
}

/** A value the engine can keep. Throws INVALID_ARGUMENT for wrong types and oversized values. */
export function toValue(input: unknown, what = 'value'): Uint8Array {
  const bytes = toOwnedBytes(input);
  if (bytes === undefined) throw new InvalidArgumentError(what, `must be a Uint8Array or a string, got ${describe(input)}`);
  if (bytes.length > VALUE_SIZE_MAX_BYTES) {
    throw new InvalidArgumentError(what, `${bytes.length} bytes exceeds the maximum of ${VALUE_SIZE_MAX_BYTES}`);
  }
  return bytes;
}

/** A short description of a value's type for error messages. */
export function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'object') return (input as object).constructor?.name ?? 'object';
  return typeof input;
}
