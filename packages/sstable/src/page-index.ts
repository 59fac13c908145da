/**
 * The page index: for every data page, where it is stored and its last internal key (the
 * fence). Loaded whole at open; a lookup binary-searches the fences to the one page that can
 * hold the first entry at or after a target (key, seq).
 */
import { assert, commonPrefixLength, compareBytes, CorruptionError, keyPrefix, compareInternal } from '@kv/base';
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
  private readonly lastKeys: Uint8Array[];
  private readonly lastSeqs: Float64Array;
  private readonly prefixes: Float64Array;
  /** The bytes every fence key starts with; `prefixes` are taken after them. */
  private sharedHead: Uint8Array = new Uint8Array(0);

  private constructor(count: number) {
    this.pageCount = count;
    this.fileOffsets = new Float64Array(count);
    this.storedBytes = new Uint32Array(count);
    this.lastKeys = new Array<Uint8Array>(count);
    this.lastSeqs = new Float64Array(count);
    this.prefixes = new Float64Array(count);
  }

  /** Decodes and validates the index section against the footer's data region. */
  static decode(section: Uint8Array, geometry: { pageCount: number; dataRegionBytes: number; layout: TableLayout }, where: string): PageIndex {
    const index = new PageIndex(geometry.pageCount);
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
      const lastKey = section.subarray(at, at + keyLength);
      at += keyLength;
      if (i > 0 && index.compareFence(i - 1, lastKey, seq) >= 0) throw new CorruptionError(where, `index fences ${i - 1} and ${i} out of order`);
      index.set(i, { fileOffset, storedBytes: stored, lastKey, lastSeq: seq });
    }
    if (at !== section.length) throw new CorruptionError(where, 'index section has trailing bytes');
    if (end > geometry.dataRegionBytes) throw new CorruptionError(where, 'index points past the data region');
    index.computePrefixes();
    return index;
  }

  private set(i: number, entry: IndexEntry): void {
    this.fileOffsets[i] = entry.fileOffset;
    this.storedBytes[i] = entry.storedBytes;
    this.lastKeys[i] = entry.lastKey;
    this.lastSeqs[i] = entry.lastSeq;
  }

  /**
   * Finds the head all fences share (the common prefix of the first and the last: the fences
   * are sorted) and takes each fence's prefix after it, so the binary search compares numbers
   * even when every key starts alike (zero-padded decimals, say), instead of whole keys.
   */
  private computePrefixes(): void {
    const first = this.lastKeys[0];
    const last = this.lastKeys[this.pageCount - 1];
    if (first === undefined || last === undefined) return;
    const shared = commonPrefixLength(first, last);
    this.sharedHead = first.subarray(0, shared);
    for (let i = 0; i < this.pageCount; i++) this.prefixes[i] = keyPrefix(this.lastKeys[i] as Uint8Array, shared);
  }

  /** The last internal key of page `i`. */
  lastKeyOf(i: number): Uint8Array {
    const key = this.lastKeys[i];
    assert(key !== undefined, 'page index within the index');
    return key;
  }

  lastSeqOf(i: number): number {
    return this.lastSeqs[i] ?? 0;
  }

  /** Compares page i's fence with (key, seq) in internal order. */
  private compareFence(i: number, key: Uint8Array, seq: number): number {
    return compareInternal(this.lastKeyOf(i), this.lastSeqOf(i), key, seq);
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
        const byKey = compareBytes(this.lastKeys[mid] as Uint8Array, key);
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
