/**
 * A validated write operation and the conversion from what callers pass to `put`, `delete`,
 * `write` and `clear`. Keys and values may still be the caller's buffers: the engine encodes
 * them into the batch payload (`prepareBatch`) before the call returns, and keeps only views
 * into that payload.
 */
import { EXPIRY_BYTES, InvalidArgumentError, encodeExpiringValue, toSeqNum } from '@kv/base';
import type { Memtable } from '@kv/memtable';
import { argumentName, describe, toLookupKey, toValueView } from './input-bytes.js';
import { BATCH_OPS_MAX, TTL_MAX_MS, VALUE_SIZE_MAX_BYTES } from './limits.js';

/** What an operation does: the entry kinds (same codes as `EntryKind`), plus a range deletion. */
export const OpKind: { readonly Delete: 0; readonly Put: 1; readonly PutExpiring: 2; readonly RangeDelete: 3 } = { Delete: 0, Put: 1, PutExpiring: 2, RangeDelete: 3 };
export type OpKind = (typeof OpKind)[keyof typeof OpKind];


export interface WriteOp {
  kind: OpKind;
  /** The key, or the first key of a range deletion. */
  key: Uint8Array;
  /** Empty for deletes and range deletions; expiry + value for an expiring put. */
  value: Uint8Array;
  /** A range deletion's exclusive end; undefined = to the end of the key space. */
  end?: Uint8Array | undefined;
}

const EMPTY = new Uint8Array(0);

/** One batch operation as callers write it. */
export type BatchOp =
  | { type: 'put'; key: Uint8Array | string; value: Uint8Array | string; ttl?: number }
  | { type: 'del'; key: Uint8Array | string }
  | { type: 'delRange'; start: Uint8Array | string; end: Uint8Array | string };

/** Wall-clock milliseconds, as `Date.now()` gives them. */
export type Clock = () => number;

/** A put; `batchIndex` >= 0 names its arguments as operation `batchIndex` of a batch in errors. */
export function putOp(key: unknown, value: unknown, ttl: unknown, clock: Clock, batchIndex = -1): WriteOp {
  const keyBytes = toLookupKey(key, 'key', batchIndex);
  const valueBytes = toValueView(value, 'value', batchIndex);
  if (ttl === undefined) return { kind: OpKind.Put, key: keyBytes, value: valueBytes };
  // The stored value carries the expiry too, and must fit the same limit.
  if (valueBytes.length > VALUE_SIZE_MAX_BYTES - EXPIRY_BYTES) {
    throw new InvalidArgumentError(argumentName('value', batchIndex), `${valueBytes.length} bytes with a ttl exceeds the maximum of ${VALUE_SIZE_MAX_BYTES - EXPIRY_BYTES}`);
  }
  return { kind: OpKind.PutExpiring, key: keyBytes, value: encodeExpiringValue(expiryTime(clock, toTtl(ttl, batchIndex < 0 ? 'put' : `batch[${batchIndex}]`)), valueBytes) };
}

/** A delete; `batchIndex` as for `putOp`. */
export function deleteOp(key: unknown, batchIndex = -1): WriteOp {
  return { kind: OpKind.Delete, key: toLookupKey(key, 'key', batchIndex), value: EMPTY };
}

/** Deletes [start, end); `end` undefined = everything from `start` on. */
export function rangeDeleteOp(start: Uint8Array, end: Uint8Array | undefined): WriteOp {
  return { kind: OpKind.RangeDelete, key: start, value: EMPTY, end };
}

/** `clock() + ttl` as whole milliseconds (a clock may return fractions); INVALID_ARGUMENT for a clock that returns no time. */
function expiryTime(clock: Clock, ttl: number): number {
  const now = clock();
  if (typeof now !== 'number' || !Number.isFinite(now) || now < 0 || now > Number.MAX_SAFE_INTEGER - ttl) {
    throw new InvalidArgumentError('option clock', `must return milliseconds since the epoch, returned ${String(now)}`);
  }
  return Math.ceil(now + ttl);
}

/** Reads a time-to-live in milliseconds: a positive safe integer up to `TTL_MAX_MS`. */
function toTtl(ttl: unknown, what: string): number {
  if (typeof ttl !== 'number' || !Number.isSafeInteger(ttl) || ttl <= 0 || ttl > TTL_MAX_MS) {
    throw new InvalidArgumentError(`${what} ttl`, `must be a whole number of milliseconds from 1 to ${TTL_MAX_MS}, got ${describe(ttl)} ${String(ttl)}`);
  }
  return ttl;
}

/** Reads the `ttl` of a put's options (undefined when absent). */
export function readTtlOption(options: unknown): unknown {
  if (options === undefined || options === null || typeof options !== 'object') return undefined;
  return (options as Record<string, unknown>)['ttl'];
}

/**
 * Validates a whole batch before anything is written: one bad operation rejects the batch.
 * Order is kept, so a later operation on the same key wins.
 */
export function toWriteOps(ops: unknown, clock: Clock): WriteOp[] {
  if (!Array.isArray(ops)) throw new InvalidArgumentError('batch', `must be an array, got ${describe(ops)}`);
  if (ops.length > BATCH_OPS_MAX) {
    throw new InvalidArgumentError('batch', `${ops.length} operations exceeds the maximum of ${BATCH_OPS_MAX}`);
  }
  // An indexed loop: a hole reads as undefined and fails as one (`map` would skip it), and no
  // iterator result is made per operation (`Array.from` made one).
  const list = ops as unknown[];
  const out: WriteOp[] = [];
  for (let index = 0; index < list.length; index++) out.push(toWriteOp(list[index], index, clock));
  return out;
}

function toWriteOp(op: unknown, index: number, clock: Clock): WriteOp {
  if (typeof op !== 'object' || op === null) throw new InvalidArgumentError(`batch[${index}]`, `must be an object, got ${describe(op)}`);
  const fields = op as Record<string, unknown>;
  switch (fields['type']) {
    case 'put':
      return putOp(fields['key'], fields['value'], fields['ttl'], clock, index);
    case 'del':
      return deleteOp(fields['key'], index);
    case 'delRange':
      return rangeDeleteOp(toLookupKey(fields['start'], 'start', index), toLookupKey(fields['end'], 'end', index));
    default:
      throw new InvalidArgumentError(argumentName('type', index), `must be 'put', 'del' or 'delRange', got ${String(fields['type'])}`);
  }
}

/** Adds `op`, sequenced `seq`, to `memtable`. */
export function applyOp(memtable: Memtable, op: WriteOp, seq: number): void {
  if (op.kind === OpKind.RangeDelete) memtable.addRangeTombstone({ start: op.key, end: op.end, seq: toSeqNum(seq) });
  else memtable.add(op.key, toSeqNum(seq), op.kind, op.value);
}

/** In strict fixed-width mode every key and put value must have exactly the recorded width. */
export function checkFixedWidth(ops: readonly WriteOp[], widths: { keySize: number; valueSize: number }): void {
  for (const op of ops) {
    if (op.kind === OpKind.RangeDelete) continue;
    if (op.kind === OpKind.PutExpiring) throw new InvalidArgumentError('ttl', 'is not available in fixed-width mode (every value has exactly valueSize bytes)');
    if (op.key.length !== widths.keySize) {
      throw new InvalidArgumentError('key', `is ${op.key.length} bytes; this database stores keys of exactly ${widths.keySize}`);
    }
    if (op.kind === OpKind.Put && op.value.length !== widths.valueSize) {
      throw new InvalidArgumentError('value', `is ${op.value.length} bytes; this database stores values of exactly ${widths.valueSize}`);
    }
  }
}
