/**
 * Encodes a write batch as one WAL payload and decodes it on replay. See ../FORMAT.md.
 */
import {
  CorruptionError,
  EXPIRY_BYTES,
  InvalidArgumentError,
  decodeVarint,
  encodeVarint,
  readUint64,
  setUint32LE,
  setUint64LE,
  toSeqNum,
  varintLength,
  viewOf,
} from '@kv/base';
import type { SeqNum } from '@kv/base';
import { batchAllocator } from './byte-allocators.js';
import { BATCH_HEADER_BYTES } from './format.js';
import { BATCH_OPS_MAX, BATCH_SIZE_MAX_BYTES } from './limits.js';
import { OpKind } from './write-op.js';
import type { WriteOp } from './write-op.js';

/** A range deletion's end flag: whether an end key follows. */
const RangeEnd = { Unbounded: 0, Bounded: 1 } as const;

/** Puts carry a value (a range deletion carries an end key instead). */
const carriesValue = (kind: OpKind): boolean => kind === OpKind.Put || kind === OpKind.PutExpiring;

export interface DecodedBatch {
  /** Sequence number of the first operation; operation i has `firstSeq + i`. */
  firstSeq: SeqNum;
  ops: WriteOp[];
}

/** Encodes `ops`, the first of which gets sequence number `firstSeq`. `ops` are left as they are. */
export function encodeBatch(firstSeq: SeqNum, ops: readonly WriteOp[]): Uint8Array {
  const payload = writePayload(ops, false);
  setBatchSequence(payload, firstSeq);
  return payload;
}

/** A batch encoded before it has sequence numbers, with its operations as views into it. */
export interface PreparedBatch {
  payload: Uint8Array;
  /** The operations, their keys and values views into `payload` (which the engine owns). */
  ops: readonly WriteOp[];
}

/**
 * Encodes `ops` with sequence number 0 (set it with `setBatchSequence` once known), and points
 * each op's key, value and end at their copies in the payload. This is the engine's one copy
 * of a write's bytes: the memtable keeps those views, so the caller's buffers are free as soon
 * as this returns. The ops must be the engine's own, made for this write (`putOp`,
 * `toWriteOps`): they are changed in place rather than copied, one object less per operation.
 */
export function prepareBatch(ops: WriteOp[]): PreparedBatch {
  return { payload: writePayload(ops, true), ops };
}

/** The payload of `ops` (sequence number 0); with `repoint`, each op is pointed at its copies in it. */
function writePayload(ops: readonly WriteOp[], repoint: boolean): Uint8Array {
  const out = batchAllocator.take(encodedBatchBytes(ops));
  setUint32LE(out, 8, ops.length);
  let offset = BATCH_HEADER_BYTES;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as WriteOp;
    out[offset++] = op.kind;
    offset = writeLengthPrefixed(out, offset, op.key);
    if (repoint) op.key = out.subarray(offset - op.key.length, offset);
    if (carriesValue(op.kind)) {
      offset = writeLengthPrefixed(out, offset, op.value);
      if (repoint) op.value = out.subarray(offset - op.value.length, offset);
    } else if (op.kind === OpKind.RangeDelete) {
      const end = op.end;
      out[offset++] = end === undefined ? RangeEnd.Unbounded : RangeEnd.Bounded;
      if (end !== undefined) {
        offset = writeLengthPrefixed(out, offset, end);
        if (repoint) op.end = out.subarray(offset - end.length, offset);
      }
    }
  }
  return out;
}

/** Writes `bytes` with its varint length at `offset` of `out`; returns the offset after them. */
function writeLengthPrefixed(out: Uint8Array, offset: number, bytes: Uint8Array): number {
  const at = encodeVarint(bytes.length, out, offset);
  out.set(bytes, at);
  return at + bytes.length;
}

/** Sets the sequence number of a prepared batch's first operation. */
export function setBatchSequence(payload: Uint8Array, firstSeq: SeqNum): void {
  setUint64LE(payload, 0, firstSeq);
}

function encodedBatchBytes(ops: readonly WriteOp[]): number {
  let total = BATCH_HEADER_BYTES;
  for (const op of ops) {
    total += 1 + varintLength(op.key.length) + op.key.length;
    if (carriesValue(op.kind)) total += varintLength(op.value.length) + op.value.length;
    else if (op.kind === OpKind.RangeDelete) total += 1 + (op.end === undefined ? 0 : varintLength(op.end.length) + op.end.length);
  }
  if (total > BATCH_SIZE_MAX_BYTES) {
    throw new InvalidArgumentError('batch', `${total} encoded bytes exceeds the maximum of ${BATCH_SIZE_MAX_BYTES}`);
  }
  return total;
}

/**
 * Decodes a payload that passed the WAL's CRC. Anything malformed is still CORRUPTION (a
 * CRC can collide; the bytes may come from a buggy writer), reported against `where`.
 * Keys and values are views into `payload`.
 */
export function decodeBatch(payload: Uint8Array, where: string): DecodedBatch {
  if (payload.length < BATCH_HEADER_BYTES) throw new CorruptionError(where, `batch of ${payload.length} bytes is shorter than its header`);
  const view = viewOf(payload);
  const firstSeq = readUint64(view, 0);
  const count = view.getUint32(8, true);
  if (firstSeq === undefined || firstSeq < 1) throw new CorruptionError(where, 'batch sequence number out of range');
  if (count > BATCH_OPS_MAX) throw new CorruptionError(where, `batch claims ${count} operations`);
  if (firstSeq + count - 1 > Number.MAX_SAFE_INTEGER) throw new CorruptionError(where, 'batch sequence numbers run past 2^53 - 1');
  const ops: WriteOp[] = [];
  let offset = BATCH_HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    const kind = payload[offset];
    if (kind !== OpKind.Put && kind !== OpKind.Delete && kind !== OpKind.PutExpiring && kind !== OpKind.RangeDelete) {
      throw new CorruptionError(where, `batch op ${i} has unknown kind ${String(kind)}`);
    }
    const key = readLengthPrefixed(payload, offset + 1, where);
    const empty = key.bytes.subarray(0, 0);
    offset = key.next;
    if (carriesValue(kind)) {
      const read = readLengthPrefixed(payload, offset, where);
      offset = read.next;
      if (kind === OpKind.PutExpiring && read.bytes.length < EXPIRY_BYTES) throw new CorruptionError(where, `batch op ${i} is an expiring put without its expiry time`);
      ops.push({ kind, key: key.bytes, value: read.bytes });
    } else if (kind === OpKind.RangeDelete) {
      const flag = payload[offset++];
      if (flag !== RangeEnd.Unbounded && flag !== RangeEnd.Bounded) throw new CorruptionError(where, `batch op ${i} has range end flag ${String(flag)}`);
      let end: Uint8Array | undefined;
      if (flag === RangeEnd.Bounded) {
        const read = readLengthPrefixed(payload, offset, where);
        end = read.bytes;
        offset = read.next;
      }
      ops.push({ kind, key: key.bytes, value: empty, end });
    } else {
      ops.push({ kind, key: key.bytes, value: empty });
    }
  }
  if (offset !== payload.length) throw new CorruptionError(where, `batch has ${payload.length - offset} trailing bytes`);
  return { firstSeq: toSeqNum(firstSeq), ops };
}

function readLengthPrefixed(payload: Uint8Array, offset: number, where: string): { bytes: Uint8Array; next: number } {
  const length = decodeVarint(payload, offset);
  if (length === undefined) throw new CorruptionError(where, `bad length varint at batch offset ${offset}`);
  const end = length.next + length.value;
  if (end > payload.length) throw new CorruptionError(where, `length ${length.value} at batch offset ${offset} runs past the record`);
  return { bytes: payload.subarray(length.next, end), next: end };
}
