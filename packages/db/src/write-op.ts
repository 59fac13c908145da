/**
 * A validated, engine-owned write operation and the conversion from what callers pass to
 * `put`, `delete` and `write`.
 */
import { EntryKind, InvalidArgumentError } from '@kv/base';
import { describe, toKey, toValue } from './input-bytes.js';
import { BATCH_OPS_MAX } from './limits.js';

export interface WriteOp {
  kind: EntryKind;
  key: Uint8Array;
  /** Empty for deletes. */
  value: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** One batch operation as callers write it. */
export type BatchOp =
  | { type: 'put'; key: Uint8Array | string; value: Uint8Array | string }
  | { type: 'del'; key: Uint8Array | string };

export function putOp(key: unknown, value: unknown): WriteOp {
  return { kind: EntryKind.Put, key: toKey(key), value: toValue(value) };
}

export function deleteOp(key: unknown): WriteOp {
  return { kind: EntryKind.Delete, key: toKey(key), value: EMPTY };
}

/**
 * Validates a whole batch before anything is written: one bad operation rejects the batch.
 * Order is kept, so a later operation on the same key wins.
 */
export function toWriteOps(ops: unknown): WriteOp[] {
  if (!Array.isArray(ops)) throw new InvalidArgumentError('batch', `must be an array, got ${describe(ops)}`);
  if (ops.length > BATCH_OPS_MAX) {
    throw new InvalidArgumentError('batch', `${ops.length} operations exceeds the maximum of ${BATCH_OPS_MAX}`);
  }
  return ops.map((op: unknown, index) => toWriteOp(op, index));
}

function toWriteOp(op: unknown, index: number): WriteOp {
  if (typeof op !== 'object' || op === null) {
    throw new InvalidArgumentError(`batch[${index}]`, `must be an object, got ${describe(op)}`);
  }
  const { type, key, value } = op as Record<string, unknown>;
  if (type === 'put') return { kind: EntryKind.Put, key: toKey(key, `batch[${index}].key`), value: toValue(value, `batch[${index}].value`) };
  if (type === 'del') return { kind: EntryKind.Delete, key: toKey(key, `batch[${index}].key`), value: EMPTY };
  throw new InvalidArgumentError(`batch[${index}].type`, `must be 'put' or 'del', got ${String(type)}`);
}

/** In strict fixed-width mode every key and put value must have exactly the recorded width. */
export function checkFixedWidth(ops: readonly WriteOp[], widths: { keySize: number; valueSize: number }): void {
  for (const op of ops) {
    if (op.key.length !== widths.keySize) {
      throw new InvalidArgumentError('key', `is ${op.key.length} bytes; this database stores keys of exactly ${widths.keySize}`);
    }
    if (op.kind === EntryKind.Put && op.value.length !== widths.valueSize) {
      throw new InvalidArgumentError('value', `is ${op.value.length} bytes; this database stores values of exactly ${widths.valueSize}`);
    }
  }
}
