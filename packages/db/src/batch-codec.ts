/**
 * Encodes a write batch as one WAL payload and decodes it on replay. See ../FORMAT.md.
 */
import {
  CorruptionError,
  EXPIRY_BYTES,
  InvalidArgumentError,
  decodeVarint,
  encodeVarint,
  readUint32LE,
  readUint64LE,
  setUint32LE,
  setUint64LE,
  toSeqNum,
  varintLength,
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

/** Encodes `ops`, the first of which gets sequence number `firstSeq`. */
export function encodeBatch(firstSeq: SeqNum, ops: readonly WriteOp[]): Uint8Array {
  const prepared = prepareBatch(ops);
  setBatchSequence(prepared.payload, firstSeq);
  return prepared.payload;
}

/** A batch encoded before it has sequence numbers. */
export interface PreparedBatch {
  payload: Uint8Array;
  /** Operations in the batch. */
  count: number;
  /** Bytes of its keys, values and range ends. */
  userBytes: number;
}

/**
 * Encodes `ops` with sequence number 0 (set it with `setBatchSequence` once known). This is
 * the engine's one copy of a write's bytes: the memtable references them in the payload (see
 * `applyBatch`), so the caller's buffers are free as soon as this returns.
 */
export function prepareBatch(ops: readonly WriteOp[]): PreparedBatch {
  const out = batchAllocator.take(encodedBatchBytes(ops));
  setUint32LE(out, 8, ops.length);
  let offset = BATCH_HEADER_BYTES;
  let userBytes = 0;
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as WriteOp;
    out[offset++] = op.kind;
    offset = writeLengthPrefixed(out, offset, op.key);
    userBytes += op.key.length;
    if (carriesValue(op.kind)) {
      offset = writeLengthPrefixed(out, offset, op.value);
      userBytes += op.value.length;
    } else if (op.kind === OpKind.RangeDelete) {
      const end = op.end;
      out[offset++] = end === undefined ? RangeEnd.Unbounded : RangeEnd.Bounded;
      if (end !== undefined) {
        offset = writeLengthPrefixed(out, offset, end);
        userBytes += end.length;
      }
    }
  }
  return { payload: out, count: ops.length, userBytes };
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
  const cursor = new BatchCursor(payload, where);
  const ops: WriteOp[] = [];
  while (cursor.next()) {
    const key = payload.subarray(cursor.keyStart, cursor.keyStart + cursor.keyLength);
    const value = payload.subarray(cursor.valueStart, cursor.valueStart + cursor.valueLength);
    if (cursor.kind !== OpKind.RangeDelete) ops.push({ kind: cursor.kind, key, value });
    else ops.push({ kind: cursor.kind, key, value, end: cursor.endLength < 0 ? undefined : payload.subarray(cursor.endStart, cursor.endStart + cursor.endLength) });
  }
  return { firstSeq: cursor.firstSeq, ops };
}

/**
 * Reads a batch payload one operation at a time, giving each operation's parts as offsets into
 * the payload: no view and no object per operation. Anything malformed is CORRUPTION, reported
 * against `where`, as for `decodeBatch`.
 */
export class BatchCursor {
  readonly firstSeq: SeqNum;
  readonly count: number;
  /** The current operation's index (after `next` returned true; -1 before). */
  index = -1;
  kind: OpKind = OpKind.Put;
  keyStart = 0;
  keyLength = 0;
  /** A put's value; empty (at the end of the key) for deletes and range deletions. */
  valueStart = 0;
  valueLength = 0;
  /** A range deletion's end key; `endLength` is -1 when the range runs to the end of the key space. */
  endStart = 0;
  endLength = -1;
  private offset = BATCH_HEADER_BYTES;
  /** The length `readPart` read last. */
  private partLength = 0;
  private readonly payload: Uint8Array;
  private readonly where: string;

  constructor(payload: Uint8Array, where: string) {
    if (payload.length < BATCH_HEADER_BYTES) throw new CorruptionError(where, `batch of ${payload.length} bytes is shorter than its header`);
    // Byte-by-byte reads: the write path makes a cursor per write, and a DataView and a BigInt
    // per write would be garbage.
    const firstSeq = readUint64LE(payload, 0);
    const count = readUint32LE(payload, 8);
    if (firstSeq === undefined || firstSeq < 1) throw new CorruptionError(where, 'batch sequence number out of range');
    if (count > BATCH_OPS_MAX) throw new CorruptionError(where, `batch claims ${count} operations`);
    if (firstSeq + count - 1 > Number.MAX_SAFE_INTEGER) throw new CorruptionError(where, 'batch sequence numbers run past 2^53 - 1');
    this.payload = payload;
    this.where = where;
    this.firstSeq = toSeqNum(firstSeq);
    this.count = count;
  }

  /** Moves to the next operation; false after the last one, once it checked that no bytes trail it. */
  next(): boolean {
    const payload = this.payload;
    const where = this.where;
    if (this.index + 1 >= this.count) {
      if (this.offset !== payload.length) throw new CorruptionError(where, `batch has ${payload.length - this.offset} trailing bytes`);
      return false;
    }
    const i = ++this.index;
    const kind = payload[this.offset];
    if (kind !== OpKind.Put && kind !== OpKind.Delete && kind !== OpKind.PutExpiring && kind !== OpKind.RangeDelete) {
      throw new CorruptionError(where, `batch op ${i} has unknown kind ${String(kind)}`);
    }
    this.kind = kind;
    this.keyStart = this.readPart(this.offset + 1);
    this.keyLength = this.partLength;
    this.valueStart = this.offset;
    this.valueLength = 0;
    this.endLength = -1;
    if (carriesValue(kind)) {
      this.valueStart = this.readPart(this.offset);
      this.valueLength = this.partLength;
      if (kind === OpKind.PutExpiring && this.valueLength < EXPIRY_BYTES) throw new CorruptionError(where, `batch op ${i} is an expiring put without its expiry time`);
    } else if (kind === OpKind.RangeDelete) {
      const flag = payload[this.offset++];
      if (flag !== RangeEnd.Unbounded && flag !== RangeEnd.Bounded) throw new CorruptionError(where, `batch op ${i} has range end flag ${String(flag)}`);
      if (flag === RangeEnd.Bounded) {
        this.endStart = this.readPart(this.offset);
        this.endLength = this.partLength;
      }
    }
    return true;
  }

  /** Reads the length-prefixed bytes at `at`: sets `partLength`, moves past them, and returns where they start. */
  private readPart(at: number): number {
    const payload = this.payload;
    const first = payload[at];
    let length: number;
    let start: number;
    if (first !== undefined && first < 0x80) {
      // A one-byte length (most are): no decoder call.
      length = first;
      start = at + 1;
    } else {
      const decoded = decodeVarint(payload, at);
      if (decoded === undefined) throw new CorruptionError(this.where, `bad length varint at batch offset ${at}`);
      length = decoded.value;
      start = decoded.next;
    }
    const end = start + length;
    if (end > payload.length) throw new CorruptionError(this.where, `length ${length} at batch offset ${at} runs past the record`);
    this.partLength = length;
    this.offset = end;
    return start;
  }
}
