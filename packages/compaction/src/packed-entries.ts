/**
 * Checking and reading a `PackedEntries` run (see @kv/base) that came from another thread, and
 * what to transfer when posting one.
 */
import { InvalidArgumentError, PACKED_REF_FIELDS, toSeqNum } from '@kv/base';
import type { EntryKind, InternalEntry, MutableInternalEntry, PackedEntries } from '@kv/base';

/**
 * The buffers to transfer when posting `packed` to a worker: its own arrays. The key and
 * value buffers are copied (readers may still be using them on the sending side).
 */
export function transferListOf(packed: PackedEntries): ArrayBuffer[] {
  const transfer = new Set<ArrayBuffer>();
  const referenced = new Set(packed.buffers);
  for (const array of [packed.seqs, packed.kinds, packed.refs]) {
    const buffer = array.buffer;
    if (buffer instanceof ArrayBuffer && !referenced.has(buffer)) transfer.add(buffer);
  }
  return [...transfer];
}

/**
 * Checks that `packed` is well formed: array types and lengths agree with `count`, every
 * reference lies inside its buffer, seqs are non-negative integers. INVALID_ARGUMENT otherwise.
 * Order and kinds are the consumer's to check (`runTableBuild`, the table builder).
 */
export function checkPackedEntries(packed: PackedEntries): void {
  const { count, seqs, kinds, refs, buffers } = packed;
  const problem = (detail: string): InvalidArgumentError => new InvalidArgumentError('packed entries', detail);
  if (!Number.isSafeInteger(count) || count < 0) throw problem(`count ${count} is not a non-negative integer`);
  if (!(seqs instanceof Float64Array) || !(kinds instanceof Uint8Array) || !(refs instanceof Uint32Array) || !Array.isArray(buffers)) {
    throw problem('seqs, kinds, refs and buffers must be a Float64Array, a Uint8Array, a Uint32Array and an array');
  }
  if (seqs.length < count || kinds.length < count || refs.length < PACKED_REF_FIELDS * count) throw problem(`arrays shorter than ${count} entries`);
  const sizes = buffers.map((buffer) => (buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer ? buffer.byteLength : -1));
  if (sizes.includes(-1)) throw problem('buffers must be ArrayBuffers or SharedArrayBuffers');
  for (let i = 0; i < count; i++) {
    const seq = seqs[i] as number;
    if (!Number.isSafeInteger(seq) || seq < 0) throw problem(`entry ${i}: seq ${seq} is not a non-negative integer`);
    const at = PACKED_REF_FIELDS * i;
    if (!refInside(refs, at, sizes)) throw problem(`entry ${i}: its key lies outside the buffers`);
    if (!refInside(refs, at + 3, sizes)) throw problem(`entry ${i}: its value lies outside the buffers`);
  }
}

/** Whether the (buffer index, offset, length) at `refs[at]` lies inside a buffer of `sizes`. */
function refInside(refs: Uint32Array, at: number, sizes: readonly number[]): boolean {
  const size = sizes[refs[at] as number];
  return size !== undefined && (refs[at + 1] as number) + (refs[at + 2] as number) <= size;
}

/**
 * Entry `i` of `packed` (requires 0 <= i < count, and a checked run): key and value are views
 * of its buffers. In `into` when given (a loop's one entry object, rewritten at each step), else
 * in a new object.
 */
export function packedEntryAt(packed: PackedEntries, i: number, into?: MutableInternalEntry): InternalEntry {
  const at = PACKED_REF_FIELDS * i;
  const key = packedBytesAt(packed, at);
  const seq = toSeqNum(packed.seqs[i] as number);
  const kind = packed.kinds[i] as EntryKind;
  const value = packedBytesAt(packed, at + 3);
  if (into === undefined) return { key, seq, kind, value };
  into.key = key;
  into.seq = seq;
  into.kind = kind;
  into.value = value;
  return into;
}

/**
 * The bytes whose (buffer index, offset, length) stand at `refs[at]` of a checked run, as a
 * new view: `at` is `PACKED_REF_FIELDS × i` for entry i's key, 3 more for its value.
 */
export function packedBytesAt(packed: PackedEntries, at: number): Uint8Array {
  const refs = packed.refs;
  return new Uint8Array(packed.buffers[refs[at] as number] as ArrayBufferLike, refs[at + 1], refs[at + 2]);
}
