/**
 * A run of internal entries as a few flat arrays plus the buffers that hold their bytes, so
 * that it can cross to a worker thread without an object per entry and without copying each
 * key and value on the sending thread. The engine packs a frozen memtable this way and a worker
 * writes it to a page file (see `runTableBuild`).
 *
 *   seqs[i]    the seq of entry i
 *   kinds[i]   its `EntryKind`
 *   refs[6i .. 6i+5]   where its key and value are: buffer index, byte offset and length of the
 *              key, then the same for the value; indices into `buffers`
 *   buffers    the `ArrayBuffer`s (or `SharedArrayBuffer`s) the keys and values are views of
 *
 * Packing reads each entry's `key.buffer` and `byteOffset`, so it costs a few stores per entry.
 * Posting the run copies each buffer once in native code (a memtable's keys and values sit in
 * a few large batch payloads), and the four arrays can be transferred. In-memory only: nothing
 * is written to disk in this shape.
 */
import { InvalidArgumentError, toSeqNum } from '@kv/base';
import type { EntryKind, InternalEntry } from '@kv/base';

export interface PackedEntries {
  count: number;
  seqs: Float64Array;
  kinds: Uint8Array;
  refs: Uint32Array;
  buffers: ArrayBufferLike[];
}

/** u32 fields per entry in `refs`. */
const REF_FIELDS = 6;
/** `refs` holds 32-bit offsets and lengths, so a buffer may hold at most this many bytes. */
export const PACKED_BUFFER_BYTES_MAX = 0xffff_ffff;

/** The largest entry count a packer is sized for up front (it grows past it as entries come). */
const EXPECTED_ENTRIES_MAX = 1 << 20;

/** Appends entries to a `PackedEntries`; the arrays grow (doubling) past the expected count. */
export class EntryPacker {
  private seqs: Float64Array;
  private kinds: Uint8Array;
  private refs: Uint32Array;
  private readonly buffers: ArrayBufferLike[] = [];
  private readonly bufferIndex = new Map<ArrayBufferLike, number>();
  private lastBuffer: ArrayBufferLike | undefined;
  private lastIndex = 0;
  private count = 0;

  /**
   * Sizes the arrays for `expectedEntries` entries (a non-negative integer; INVALID_ARGUMENT
   * otherwise), or for `EXPECTED_ENTRIES_MAX` when more are expected.
   */
  constructor(expectedEntries: number) {
    if (!Number.isSafeInteger(expectedEntries) || expectedEntries < 0) {
      throw new InvalidArgumentError('expected entry count', `${expectedEntries} is not a non-negative integer`);
    }
    const entries = Math.min(EXPECTED_ENTRIES_MAX, Math.max(1, expectedEntries));
    this.seqs = new Float64Array(entries);
    this.kinds = new Uint8Array(entries);
    this.refs = new Uint32Array(REF_FIELDS * entries);
  }

  /**
   * Records `entry`. Its key and value are referenced, not copied: their bytes must not change
   * until the run has been posted or consumed.
   */
  add(entry: InternalEntry): void {
    if (this.count === this.seqs.length) this.grow();
    const i = this.count++;
    this.seqs[i] = entry.seq;
    this.kinds[i] = entry.kind;
    const at = REF_FIELDS * i;
    const { key, value } = entry;
    const refs = this.refs;
    refs[at] = this.indexOf(key.buffer);
    refs[at + 1] = key.byteOffset;
    refs[at + 2] = key.length;
    refs[at + 3] = this.indexOf(value.buffer);
    refs[at + 4] = value.byteOffset;
    refs[at + 5] = value.length;
  }

  /** The packed run: the arrays trimmed to the entries added. The packer must not be used afterwards. */
  finish(): PackedEntries {
    return {
      count: this.count,
      seqs: this.seqs.subarray(0, this.count),
      kinds: this.kinds.subarray(0, this.count),
      refs: this.refs.subarray(0, REF_FIELDS * this.count),
      buffers: this.buffers,
    };
  }

  private indexOf(buffer: ArrayBufferLike): number {
    if (buffer === this.lastBuffer) return this.lastIndex;
    let index = this.bufferIndex.get(buffer);
    if (index === undefined) {
      if (buffer.byteLength > PACKED_BUFFER_BYTES_MAX) throw new InvalidArgumentError('packed entries', `a buffer of ${buffer.byteLength} bytes is over ${PACKED_BUFFER_BYTES_MAX}`);
      index = this.buffers.length;
      this.buffers.push(buffer);
      this.bufferIndex.set(buffer, index);
    }
    this.lastBuffer = buffer;
    this.lastIndex = index;
    return index;
  }

  private grow(): void {
    const capacity = 2 * this.seqs.length;
    const seqs = new Float64Array(capacity);
    seqs.set(this.seqs);
    this.seqs = seqs;
    const kinds = new Uint8Array(capacity);
    kinds.set(this.kinds);
    this.kinds = kinds;
    const refs = new Uint32Array(REF_FIELDS * capacity);
    refs.set(this.refs);
    this.refs = refs;
  }
}

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
  if (seqs.length < count || kinds.length < count || refs.length < REF_FIELDS * count) throw problem(`arrays shorter than ${count} entries`);
  const sizes = buffers.map((buffer) => (buffer instanceof ArrayBuffer || buffer instanceof SharedArrayBuffer ? buffer.byteLength : -1));
  if (sizes.includes(-1)) throw problem('buffers must be ArrayBuffers or SharedArrayBuffers');
  for (let i = 0; i < count; i++) {
    const seq = seqs[i] as number;
    if (!Number.isSafeInteger(seq) || seq < 0) throw problem(`entry ${i}: seq ${seq} is not a non-negative integer`);
    const at = REF_FIELDS * i;
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
 * of its buffers.
 */
export function packedEntryAt(packed: PackedEntries, i: number): InternalEntry {
  const { refs, buffers } = packed;
  const at = REF_FIELDS * i;
  return {
    key: new Uint8Array(buffers[refs[at] as number] as ArrayBufferLike, refs[at + 1], refs[at + 2]),
    seq: toSeqNum(packed.seqs[i] as number),
    kind: packed.kinds[i] as EntryKind,
    value: new Uint8Array(buffers[refs[at + 3] as number] as ArrayBufferLike, refs[at + 4], refs[at + 5]),
  };
}
