/**
 * Turns caller input (Uint8Array or UTF-8 string) into bytes. Everything the engine keeps is
 * copied (the caller may reuse or mutate its buffer as soon as the call returns); a key used
 * only for the duration of a lookup is validated without a copy.
 */
import { InvalidArgumentError } from '@kv/base';
import { KEY_SIZE_MAX_BYTES, VALUE_SIZE_MAX_BYTES } from './limits.js';

const encoder = new TextEncoder();

/**
 * The name an error gives an argument: `what`, or `batch[i].what` for operation i of a batch.
 * Built only when an error is thrown: a batch of a thousand puts would otherwise make
 * thousands of strings.
 */
export function argumentName(what: string, batchIndex: number): string {
  return batchIndex < 0 ? what : `batch[${batchIndex}].${what}`;
}

/**
 * Bytes of a string or byte array (copied when `copy`), of at most `maxBytes`; else
 * INVALID_ARGUMENT naming `argumentName(what, batchIndex)`.
 */
function checkedBytes(input: unknown, rule: { what: string; batchIndex: number; maxBytes: number; copy: boolean }): Uint8Array {
  let bytes: Uint8Array;
  if (typeof input === 'string') bytes = encoder.encode(input);
  // `new Uint8Array(view)` copies into a plain Uint8Array even when given a Buffer.
  else if (input instanceof Uint8Array) bytes = rule.copy ? new Uint8Array(input) : input;
  else throw new InvalidArgumentError(argumentName(rule.what, rule.batchIndex), `must be a Uint8Array or a string, got ${describe(input)}`);
  if (bytes.length > rule.maxBytes) {
    throw new InvalidArgumentError(argumentName(rule.what, rule.batchIndex), `${bytes.length} bytes exceeds the maximum of ${rule.maxBytes}`);
  }
  return bytes;
}

/** A key the engine can keep. Throws INVALID_ARGUMENT for wrong types and oversized keys. */
export function toKey(input: unknown, what = 'key'): Uint8Array {
  return checkedBytes(input, { what, batchIndex: -1, maxBytes: KEY_SIZE_MAX_BYTES, copy: true });
}

/**
 * A key for one synchronous lookup (or a write encoded before the call returns): validated
 * like `toKey`, but a byte array is used as is. `batchIndex` >= 0 names it as part of a batch.
 */
export function toLookupKey(input: unknown, what = 'key', batchIndex = -1): Uint8Array {
  return checkedBytes(input, { what, batchIndex, maxBytes: KEY_SIZE_MAX_BYTES, copy: false });
}

/** A value validated like `toValue` but not copied: for a write encoded before the call returns. */
export function toValueView(input: unknown, what = 'value', batchIndex = -1): Uint8Array {
  return checkedBytes(input, { what, batchIndex, maxBytes: VALUE_SIZE_MAX_BYTES, copy: false });
}

/** A value the engine can keep. Throws INVALID_ARGUMENT for wrong types and oversized values. */
export function toValue(input: unknown, what = 'value'): Uint8Array {
  return checkedBytes(input, { what, batchIndex: -1, maxBytes: VALUE_SIZE_MAX_BYTES, copy: true });
}

/** A short description of a value's type for error messages. */
export function describe(input: unknown): string {
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'array';
  if (typeof input === 'object') return (input as object).constructor?.name ?? 'object';
  return typeof input;
}

/** A directory path: a non-empty string (INVALID_ARGUMENT otherwise). */
export function checkLocation(location: unknown, what = 'database location'): string {
  if (typeof location !== 'string' || location.length === 0) throw new InvalidArgumentError(what, `must be a non-empty path string, got ${describe(location)}`);
  return location;
}
