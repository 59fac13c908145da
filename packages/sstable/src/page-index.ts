/**
 * The page index: for every data page, where it is stored and its last internal key (the
 * fence). Loaded whole at open; a lookup binary-searches the fences to the one page that can
 * hold the first entry at or after a target (key, seq).
 */
import { assert, commonPrefixLength, compareByteRanges, compareBytesAt, CorruptionError, keyPrefix, keyPrefixAt } from '@kv/base';
import { FRAME_HEADER_BYTES, INDEX_ENTRY_FIXED_BYTES, KEY_BYTES_MAX, SEQ_MAX } from './format.js';
import { readUint64Number, writeUint64Number } from './seq-field.js';
import type { TableLayout } from './table-layout.js';

/** One index entry as the builder records it. */
export interface IndexEntry {
  fileOffset: number;
  storedBytes: number;
  lastKey: Uint8Array;
  lastSeq: number;
}

/** Encodes the index section. */
export function encodeIndex(entries: readonly IndexEntry[]): Uint8Array {
  let length = 0;
  for (const entry of entries) length += INDEX_ENTRY_FIXED_BYTES + entry.lastKey.length;
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const entry of entries) {
    writeUint64Number(view, at, entry.fileOffset);
    view.setUint32(at + 8, entry.storedBytes, true);
    view.setUint32(at + 12, entry.lastKey.length, true);
    writeUint64Number(view, at + 16, entry.lastSeq);
    out.set(entry.lastKey, at + INDEX_ENTRY_FIXED_BYTES);
    at += INDEX_ENTRY_FIXED_BYTES + entry.lastKey.length;
  }
  return out;
}

export class PageIndex {
  readonly pageCount: number;
  readonly fileOffsets: Float64Array;
  readonly storedBytes: Uint32Array;
  /** The index section; fence `i` is `keyLengths[i]` bytes of it from `keyStarts[i]`. */
  private readonly section: Uint8Array;
  private readonly keyStarts: Uint32Array;
  private readonly keyLengths: Uint32Array;
  private readonly lastSeqs: Float64Array;
  private readonly prefixes: Float64Array;
  /** The bytes every fence key starts with; `prefixes` are taken after them. */
  private sharedHead: Uint8Array = new Uint8Array(0);

  private constructor(section: Uint8Array, count: number) {
    this.pageCount = count;
    this.section = section;
    this.fileOffsets = new Float64Array(count);
    this.storedBytes = new Uint32Array(count);
    this.keyStarts = new Uint32Array(count);
    this.keyLengths = new Uint32Array(count);
    this.lastSeqs = new Float64Array(count);
    this.prefixes = new Float64Array(count);
  }

  /**
   * Decodes and validates the index section against the footer's data region. The fences stay
   * in `section` (no array per page: a database opens thousands of pages' fences at once).
   */
  static decode(section: Uint8Array, geometry: { pageCount: number; dataRegionBytes: number; layout: TableLayout }, where: string): PageIndex {
    const index = new PageIndex(section, geometry.pageCount);
    const view = new DataView(section.buffer, section.byteOffset, section.length);
    let at = 0;
    let end = 0;
    for (let i = 0; i < geometry.pageCount; i++) {
      if (at + INDEX_ENTRY_FIXED_BYTES > section.length) throw new CorruptionError(where, `index ends inside entry ${i}`);
      const fileOffset = readUint64Number(view, at);
      if (fileOffset < 0) throw new CorruptionError(where, `index entry ${i} offset out of range`);
      const stored = view.getUint32(at + 8, true);
      const keyLength = view.getUint32(at + 12, true);
      const seq = readUint64Number(view, at + 16);
      at += INDEX_ENTRY_FIXED_BYTES;
      if (keyLength > KEY_BYTES_MAX || at + keyLength > section.length) throw new CorruptionError(where, `index entry ${i} key length ${keyLength}`);
      if (seq < 0 || seq > SEQ_MAX) throw new CorruptionError(where, `index entry ${i} seq out of range`);
      if (fileOffset < end || !storedSizeValid(stored, fileOffset, geometry.layout)) throw new CorruptionError(where, `index entry ${i} locates its page wrongly`);
      end = fileOffset + stored;
      index.fileOffsets[i] = fileOffset;
      index.storedBytes[i] = stored;
      index.keyStarts[i] = at;
      index.keyLengths[i] = keyLength;
      index.lastSeqs[i] = seq;
      if (i > 0 && index.compareFences(i - 1, i) >= 0) throw new CorruptionError(where, `index fences ${i - 1} and ${i} out of order`);
      at += keyLength;
    }
    if (at !== section.length) throw new CorruptionError(where, 'index section has trailing bytes');
    if (end > geometry.dataRegionBytes) throw new CorruptionError(where, 'index points past the data region');
    index.computePrefixes();
    return index;
  }

  /**
   * Finds the head all fences share (the common prefix of the first and the last: the fences
   * are sorted) and takes each fence's prefix after it, so the binary search compares numbers
   * even when every key starts alike (zero-padded decimals, say), instead of whole keys.
   */
  private computePrefixes(): void {
    if (this.pageCount === 0) return;
    const shared = commonPrefixLength(this.lastKeyOf(0), this.lastKeyOf(this.pageCount - 1));
    this.sharedHead = this.lastKeyOf(0).subarray(0, shared);
    for (let i = 0; i < this.pageCount; i++) this.prefixes[i] = keyPrefixAt(this.section, this.keyStarts[i] as number, this.keyLengths[i] as number, shared);
  }

  /** The last internal key of page `i` (a view of the index section). */
  lastKeyOf(i: number): Uint8Array {
    assert(i >= 0 && i < this.pageCount, 'page index within the index');
    const start = this.keyStarts[i] as number;
    return this.section.subarray(start, start + (this.keyLengths[i] as number));
  }

  lastSeqOf(i: number): number {
    return this.lastSeqs[i] ?? 0;
  }

  /** Compares the fences of pages i and j in internal order (key ascending, then seq descending). */
  private compareFences(i: number, j: number): number {
    const { section, keyStarts, keyLengths } = this;
    const byKey = compareByteRanges(section, keyStarts[i] as number, keyLengths[i] as number, section, keyStarts[j] as number, keyLengths[j] as number);
    return byKey !== 0 ? byKey : (this.lastSeqs[j] as number) - (this.lastSeqs[i] as number);
  }

  /**
   * The first page whose fence is at or after (key, seq) (`inclusive`), or strictly after it;
   * `pageCount` when there is none.
   */
  search(key: Uint8Array, seq: number, inclusive: boolean): number {
    const head = this.sharedHead;
    // A key that differs from the shared head sorts before or after every fence.
    for (let j = 0; j < head.length; j++) {
      if (j === key.length) return 0;
      const diff = (key[j] as number) - (head[j] as number);
      if (diff < 0) return 0;
      if (diff > 0) return this.pageCount;
    }
    const target = keyPrefix(key, head.length);
    let low = 0;
    let high = this.pageCount;
    while (low < high) {
      const mid = (low + high) >>> 1;
      const prefix = this.prefixes[mid] as number;
      let order: number;
      if (prefix !== target) order = prefix < target ? -1 : 1;
      else {
        const byKey = compareBytesAt(this.section, this.keyStarts[mid] as number, this.keyLengths[mid] as number, key);
        order = byKey !== 0 ? byKey : seq - (this.lastSeqs[mid] as number);
      }
      if (order < 0 || (order === 0 && !inclusive)) low = mid + 1;
      else high = mid;
    }
    return low;
  }
}

/** Pages of uncompressed files are whole aligned pages; frames are at most a raw page plus header. */
function storedSizeValid(stored: number, fileOffset: number, layout: TableLayout): boolean {
  if (layout.compression === 'none') return stored === layout.pageSizeBytes && fileOffset % layout.pageSizeBytes === 0;
  return stored > FRAME_HEADER_BYTES && stored <= FRAME_HEADER_BYTES + layout.pageSizeBytes;
}
