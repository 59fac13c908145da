/**
 * Internal entries as a few flat arrays plus the buffers that hold their bytes: no object per
 * entry. The memtable keeps its entries this way (in the order they were added), and a frozen
 * memtable crosses to a worker thread this way, with its ids in internal order beside
 * (`IndexedEntries`), to be written to a page file; runs in internal order are made from
 * those and merged there.
 *
 *   seqs[i]    the seq of entry i
 *   kinds[i]   its `EntryKind`
 *   refs[6i .. 6i+5]   where its key and value are: buffer index, byte offset and length of the
 *              key, then the same for the value; indices into `buffers`
 *   buffers    the `ArrayBuffer`s (or `SharedArrayBuffer`s) the keys and values are views of
 *
 * In-memory only: nothing is written to disk in this shape.
 */
import { copyBytes, copyOfRange } from './bytes.js';
import { InvalidArgumentError } from './errors.js';
import type { EntryKind, SeqNum } from './brands.js';
import { compareByteRanges } from './compare-bytes.js';
import type { InternalEntry } from './internal-iterator.js';

export interface PackedEntries {
  count: number;
  seqs: Float64Array;
  kinds: Uint8Array;
  refs: Uint32Array;
  buffers: ArrayBufferLike[];
}

/**
 * Entries kept in the order they were added, and the order to read them in: entry i of the
 * run is entry `order[i]` of `entries`. A frozen memtable crosses to the table build job this
 * way: the thread that sorted it copies its store's arrays as they are and its sorted ids
 * (sequential copies), and the job gathers the entries in order (`sortedRunOf` in
 * @kv/compaction), which reads them at random.
 */
export interface IndexedEntries {
  entries: PackedEntries;
  order: Int32Array;
}

/** u32 fields per entry in `refs`. */
export const PACKED_REF_FIELDS = 6;
/** `refs` holds 32-bit offsets and lengths, so a buffer may hold at most this many bytes. */
export const PACKED_BUFFER_BYTES_MAX = 0xffff_ffff;

/** The largest entry count a packer is sized for up front (it grows past it as entries come). */
const EXPECTED_ENTRIES_MAX = 1 << 20;

/** Bytes of each chunk `appendCopy` carves keys and values from. */
const COPY_CHUNK_BYTES = 256 * 1024;
/**
 * Keys and values of this many bytes or more get a buffer of their own: a chunk then wastes
 * at most a sixteenth of itself on a tail too short for the next array.
 */
const COPY_OWN_BUFFER_BYTES_MIN = COPY_CHUNK_BYTES / 16;

/**
 * Appends entries to a `PackedEntries` and reads them back by index. The arrays grow (doubling)
 * past the expected count. `append` references the key and value where they are (it reads
 * their `buffer` and `byteOffset`: a few stores per entry); `appendCopy` copies them into the
 * packer's own chunks.
 */
export class EntryPacker {
  private seqs: Float64Array;
  private kinds: Uint8Array;
  private refs: Uint32Array;
  private readonly buffers: ArrayBufferLike[] = [];
  /** `bytes[b]` is a view of all of `buffers[b]`, for comparing keys in place. */
  private readonly bytes: Uint8Array[] = [];
  private readonly bufferIndex = new Map<ArrayBufferLike, number>();
  private lastBuffer: ArrayBufferLike | undefined;
  private lastIndex = 0;
  private count = 0;
  /** The chunk `appendCopy` fills: its index in `buffers` (-1 before the first) and bytes used. */
  private copyChunk = -1;
  private copyChunkUsed = 0;

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
    this.refs = new Uint32Array(PACKED_REF_FIELDS * entries);
  }

  /** Entries added so far. */
  get length(): number {
    return this.count;
  }

  /** Records `entry` (see `append`). */
  add(entry: InternalEntry): number {
    return this.append(entry.key, entry.seq, entry.kind, entry.value);
  }

  /**
   * Records an entry and returns its index. Its key and value are referenced, not copied: their
   * bytes must not change while the packer or a run made from it is in use.
   */
  append(key: Uint8Array, seq: number, kind: EntryKind, value: Uint8Array): number {
    const i = this.start(seq, kind);
    const at = PACKED_REF_FIELDS * i;
    const refs = this.refs;
    refs[at] = this.indexOf(key.buffer);
    refs[at + 1] = key.byteOffset;
    refs[at + 2] = key.length;
    refs[at + 3] = this.indexOf(value.buffer);
    refs[at + 4] = value.byteOffset;
    refs[at + 5] = value.length;
    return i;
  }

  /**
   * `append` for a key and a value that lie in one array (a batch payload): `keyLength` bytes
   * of `bytes` from `keyStart` and `valueLength` from `valueStart`, referenced where they are
   * with no view of either.
   */
  appendRange(bytes: Uint8Array, keyStart: number, keyLength: number, seq: number, kind: EntryKind, valueStart: number, valueLength: number): number {
    const i = this.start(seq, kind);
    const at = PACKED_REF_FIELDS * i;
    const refs = this.refs;
    const buffer = this.indexOf(bytes.buffer);
    const base = bytes.byteOffset;
    refs[at] = buffer;
    refs[at + 1] = base + keyStart;
    refs[at + 2] = keyLength;
    refs[at + 3] = buffer;
    refs[at + 4] = base + valueStart;
    refs[at + 5] = valueLength;
    return i;
  }

  /**
   * Records an entry with copies of its key and value, carved from the packer's own chunks
   * (no view or buffer per entry), and returns its index. The caller may reuse its arrays.
   */
  appendCopy(key: Uint8Array, seq: number, kind: EntryKind, value: Uint8Array): number {
    const i = this.start(seq, kind);
    const at = PACKED_REF_FIELDS * i;
    this.copyIn(key, at);
    this.copyIn(value, at + 3);
    return i;
  }

  seqAt(i: number): SeqNum {
    return this.seqs[i] as SeqNum;
  }

  kindAt(i: number): EntryKind {
    return this.kinds[i] as EntryKind;
  }

  /** Entry i's key, as a new view of its buffer. */
  keyAt(i: number): Uint8Array {
    const at = PACKED_REF_FIELDS * i;
    const refs = this.refs;
    return (this.bytes[refs[at] as number] as Uint8Array).subarray(refs[at + 1], (refs[at + 1] as number) + (refs[at + 2] as number));
  }

  /** Entry i's value, as a new view of its buffer. */
  valueAt(i: number): Uint8Array {
    const at = PACKED_REF_FIELDS * i + 3;
    const refs = this.refs;
    return (this.bytes[refs[at] as number] as Uint8Array).subarray(refs[at + 1], (refs[at + 1] as number) + (refs[at + 2] as number));
  }

  /** `compareBytes(keyAt(i), key)` without making the view. */
  compareKeyAt(i: number, key: Uint8Array): number {
    return this.compareKeyRange(i, key, 0, key.length);
  }

  /** `compareBytes(keyAt(i), bytes.subarray(start, start + length))` without making either view. */
  compareKeyRange(i: number, bytes: Uint8Array, start: number, length: number): number {
    const at = PACKED_REF_FIELDS * i;
    const refs = this.refs;
    return compareByteRanges(this.bytes[refs[at] as number] as Uint8Array, refs[at + 1] as number, refs[at + 2] as number, bytes, start, length);
  }

  /** Entry i as a new object (key and value are new views). */
  entryAt(i: number): InternalEntry {
    return { key: this.keyAt(i), seq: this.seqAt(i), kind: this.kindAt(i), value: this.valueAt(i) };
  }

  /**
   * The entries added so far, in the order added: views of the packer's arrays (trimmed to
   * the entries added) and its buffer list, so valid only until the next append. Reads go on.
   * Never transfer these arrays to another thread: that would detach the packer's own (use
   * `entriesCopy`).
   */
  entries(): PackedEntries {
    return {
      count: this.count,
      seqs: this.seqs.subarray(0, this.count),
      kinds: this.kinds.subarray(0, this.count),
      refs: this.refs.subarray(0, PACKED_REF_FIELDS * this.count),
      buffers: this.buffers.slice(),
    };
  }

  /**
   * `entries()` with copies of the arrays, exactly as long as the entries (one sequential
   * copy): the caller owns them and may transfer them to another thread; the keys and values
   * stay in the packer's buffers.
   */
  entriesCopy(): PackedEntries {
    const views = this.entries();
    return { ...views, seqs: views.seqs.slice(), kinds: views.kinds.slice(), refs: views.refs.slice() };
  }

  /** Takes the next index (growing the arrays when full) and stores its seq and kind. */
  private start(seq: number, kind: EntryKind): number {
    if (this.count === this.seqs.length) this.grow();
    const i = this.count++;
    this.seqs[i] = seq;
    this.kinds[i] = kind;
    return i;
  }

  /** Copies `bytes` into a chunk (or a buffer of its own) and stores where at `refs[at ..]`. */
  private copyIn(bytes: Uint8Array, at: number): void {
    const length = bytes.length;
    const refs = this.refs;
    if (length >= COPY_OWN_BUFFER_BYTES_MIN) {
      // A copy of its own (not `bytes.slice()`: on a Node Buffer that is a view, not a copy).
      const copy = copyOfRange(bytes, 0, length);
      refs[at] = this.indexOf(copy.buffer);
      refs[at + 1] = 0;
    } else {
      if (this.copyChunk < 0 || this.copyChunkUsed + length > COPY_CHUNK_BYTES) {
        this.copyChunk = this.indexOf(new ArrayBuffer(COPY_CHUNK_BYTES));
        this.copyChunkUsed = 0;
      }
      copyBytes(this.bytes[this.copyChunk] as Uint8Array, this.copyChunkUsed, bytes, 0, length);
      refs[at] = this.copyChunk;
      refs[at + 1] = this.copyChunkUsed;
      this.copyChunkUsed += length;
    }
    refs[at + 2] = length;
  }

  private indexOf(buffer: ArrayBufferLike): number {
    if (buffer === this.lastBuffer) return this.lastIndex;
    let index = this.bufferIndex.get(buffer);
    if (index === undefined) {
      if (buffer.byteLength > PACKED_BUFFER_BYTES_MAX) throw new InvalidArgumentError('packed entries', `a buffer of ${buffer.byteLength} bytes is over ${PACKED_BUFFER_BYTES_MAX}`);
      index = this.buffers.length;
      this.buffers.push(buffer);
      this.bytes.push(new Uint8Array(buffer));
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
    const refs = new Uint32Array(PACKED_REF_FIELDS * capacity);
    refs.set(this.refs);
    this.refs = refs;
  }
}
