import { assert, copyOfRange, EntryKind, KeyCopy } from '@kv/base';
import type { SeqNum } from '@kv/base';
import type { Vfs, VfsFile } from '@kv/vfs';
import { bloomKeyHashRange } from './bloom-filter.js';
import { checkEntry } from './check-entry.js';
import { DataPageBuilder } from './data-page-builder.js';
import type { OverflowRef, SlotRecord } from './data-page-builder.js';
import { encodeMetadata } from './encode-metadata.js';
import { PAGE_HEADER_BYTES } from './format.js';
import { encodeFrame } from './frame-codec.js';
import { OutputQueue } from './output-queue.js';
import { keyHeapBytes } from './page-geometry.js';
import { encodeOverflowChain } from './overflow-chain.js';
import type { IndexEntry } from './page-index.js';
import { keyLocalMaxBytes, recordOverheadMaxBytes, resolveBloomBitsPerKey, resolveLayout } from './table-layout.js';
import type { TableBuildOptions, TableLayout } from './table-layout.js';
import type { TableProperties } from './table-properties.js';

type BuilderState = 'open' | 'finishing' | 'finished' | 'abandoned';

const NO_VALUE: Uint8Array = new Uint8Array(0);

/** Stands for an overflow reference not written yet: a page measures only that there is one. */
const PLACEHOLDER: OverflowRef = { fileOffset: 0, storedBytes: 0 };

/**
 * Writes one page file from entries added in internal order. Encoding is synchronous (`add`);
 * bytes reach the file only in `writePending` and `finish`, each one positioned write, queued
 * so writes never overlap. See FORMAT.md for the layout.
 */
export class TableBuilder {
  private readonly file: VfsFile;
  private readonly vfs: Vfs;
  private readonly layout: TableLayout;
  private readonly bloomBitsPerKey: number;
  private readonly keyLocalMax: number;
  private readonly recordOverheadMax: number;
  private readonly output = new OutputQueue();
  private readonly page: DataPageBuilder;
  private readonly indexEntries: IndexEntry[] = [];
  private keyHashes = new Uint32Array(1024);
  private keyHashCount = 0;
  private state: BuilderState = 'open';
  private writeChain: Promise<void> = Promise.resolve();
  /** The last write `writePendingBehind` started, until it finishes. */
  private lastWrite: Promise<void> | undefined = undefined;
  private writeFailure: unknown = undefined;
  private entryCount = 0;
  private tombstoneCount = 0;
  private hasExpiring = false;
  private seqMin = 0;
  private seqMax = 0;
  private rawDataBytes = 0;
  private smallestKey: Uint8Array = new Uint8Array(0);
  /** The previous entry's user key (copied once per distinct key, into one reused buffer). */
  private readonly lastKey = new KeyCopy();
  private lastSeq = 0;
  /** The record being placed, reused for every entry (the page builder copies what it keeps). */
  private readonly pending: SlotRecord = emptyRecord();
  /** The record measured with placeholder references when a key or value goes to an overflow chain. */
  private readonly sized: SlotRecord = emptyRecord();

  private constructor(vfs: Vfs, file: VfsFile, layout: TableLayout, bloomBitsPerKey: number) {
    this.vfs = vfs;
    this.file = file;
    this.layout = layout;
    this.bloomBitsPerKey = bloomBitsPerKey;
    this.keyLocalMax = keyLocalMaxBytes(layout);
    this.recordOverheadMax = recordOverheadMaxBytes(layout);
    this.page = new DataPageBuilder(layout);
  }

  /** Validates the options (INVALID_ARGUMENT) and creates the file; fails if it exists. */
  static async create(vfs: Vfs, path: string, options: TableBuildOptions = {}): Promise<TableBuilder> {
    const layout = resolveLayout(options);
    const bloomBitsPerKey = resolveBloomBitsPerKey(options);
    const file = await vfs.open(path, { create: true, exclusive: true });
    return new TableBuilder(vfs, file, layout, bloomBitsPerKey);
  }

  /** Encoded bytes not yet written: full pages and overflow chains (not the page being filled). */
  get pendingBytes(): number {
    return this.output.pendingBytes;
  }

  /**
   * Appends one entry. Requires: (key, seq) sorts strictly after the previous entry in internal
   * order (AssertionError otherwise). Copies what it keeps; the caller may reuse its arrays.
   * A delete's value is not stored and reads back empty; in fixed-width mode it may be empty
   * or full width (zeros fill its slot).
   */
  add(key: Uint8Array, seq: SeqNum, kind: EntryKind, value: Uint8Array): void {
    this.addRange(key, 0, key.length, seq, kind, value, 0, value.length);
  }

  /**
   * `add` of a key that is `keyLength` bytes of `keyBytes` from `keyStart` and a value that is
   * `valueLength` bytes of `valueBytes` from `valueStart`: for a caller whose entries lie in
   * larger arrays (a packed run), which then makes no view per entry. Same requirements, same
   * file.
   */
  addRange(keyBytes: Uint8Array, keyStart: number, keyLength: number, seq: SeqNum, kind: EntryKind, valueBytes: Uint8Array, valueStart: number, valueLength: number): void {
    assert(this.state === 'open', 'add to an open builder');
    checkEntry(this.layout, keyLength, seq, kind, valueLength);
    assert(isRangeOf(keyBytes, keyStart, keyLength) && isRangeOf(valueBytes, valueStart, valueLength), 'key and value ranges lie inside their arrays');
    const first = this.entryCount === 0;
    const byKey = first ? 1 : this.lastKey.compareWithRange(keyBytes, keyStart, keyLength);
    assert(byKey > 0 || (byKey === 0 && seq < this.lastSeq), 'entries are added in strictly increasing internal order');
    const sameUserKey = byKey === 0;
    this.placeRecord(keyBytes, keyStart, keyLength, seq, kind, valueBytes, valueStart, valueLength);
    if (!sameUserKey) {
      this.pushKeyHash(bloomKeyHashRange(keyBytes, keyStart, keyLength));
      this.lastKey.setRange(keyBytes, keyStart, keyLength);
    }
    this.lastSeq = seq;
    // A copy also of a Node Buffer, whose `slice` would be a view of the caller's memory.
    if (first) this.smallestKey = copyOfRange(keyBytes, keyStart, keyLength);
    this.seqMin = first ? seq : Math.min(this.seqMin, seq);
    this.seqMax = first ? seq : Math.max(this.seqMax, seq);
    this.entryCount++;
    if (kind === EntryKind.Delete) this.tombstoneCount++;
    else if (kind === EntryKind.PutExpiring) this.hasExpiring = true;
  }

  /** Writes the encoded full pages so far in one write. Safe to call while another is running. */
  writePending(): Promise<void> {
    assert(this.state === 'open' || this.state === 'finishing', 'writePending on an open builder');
    const batch = this.output.take();
    const run = this.writeChain.then(async () => {
      if (batch === undefined) return;
      await this.file.write(batch);
      // The file system keeps nothing of a finished write's array: the next slab may reuse it.
      this.output.recycle(batch.data);
    });
    this.writeChain = run.catch((error: unknown) => {
      this.writeFailure ??= error;
    });
    return run;
  }

  /**
   * `writePending` for a caller that goes on encoding while the write runs: it starts the
   * write and returns the one before it, or undefined when that one has finished. A caller
   * that awaits what it gets has at most one write running while it encodes the next slice,
   * instead of waiting for each write to end. A failed write rejects the promise it is
   * returned in, or else `finish`.
   */
  writePendingBehind(): Promise<void> | undefined {
    const previous = this.lastWrite;
    const write = this.writePending();
    this.lastWrite = write;
    write.then(
      () => {
        if (this.lastWrite === write) this.lastWrite = undefined;
      },
      // Kept in `writeFailure` by `writePending`: thrown by the next caller or by `finish`.
      () => undefined,
    );
    return previous;
  }

  /** Writes the last page, the metadata and the footer; fdatasyncs and closes the file. */
  async finish(): Promise<TableProperties> {
    assert(this.state === 'open', 'finish an open builder');
    this.state = 'finishing';
    if (this.page.slotCount > 0) this.sealPage();
    const dataRegionBytes = this.output.nextOffset;
    const statistics = {
      smallestKey: this.smallestKey,
      largestKey: this.lastKey.isSet ? this.lastKey.toArray() : new Uint8Array(0),
      seqMin: this.seqMin,
      seqMax: this.seqMax,
      entryCount: this.entryCount,
      tombstoneCount: this.tombstoneCount,
      rawDataBytes: this.rawDataBytes,
    };
    const metadata = encodeMetadata({
      layout: this.layout,
      dataRegionBytes,
      indexEntries: this.indexEntries,
      keyHashes: this.keyHashes.subarray(0, this.keyHashCount),
      bloomBitsPerKey: this.bloomBitsPerKey,
      statistics,
      hasExpiring: this.hasExpiring,
    });
    for (const chunk of metadata.chunks) this.output.append(chunk);
    await this.writePending();
    assert(this.state === 'finishing', 'builder still finishing after the last write');
    if (this.writeFailure !== undefined) throw this.writeFailure;
    await this.file.sync();
    await this.file.close();
    this.state = 'finished';
    const layout = this.layout;
    return {
      ...statistics,
      dataPageCount: this.indexEntries.length,
      pageSizeBytes: layout.pageSizeBytes,
      compression: layout.compression,
      fixedWidth: layout.fixedWidth === undefined ? undefined : { ...layout.fixedWidth },
      fileSizeBytes: metadata.fileSizeBytes,
      formatVersion: metadata.footer.formatVersion,
    };
  }

  /** Closes and removes the partial file. Best effort: failures are swallowed. No-op after `finish` succeeded. */
  async abandon(): Promise<void> {
    if (this.state === 'abandoned' || this.state === 'finished') return;
    this.state = 'abandoned';
    await this.writeChain;
    await this.file.close().catch(() => undefined);
    await this.vfs.unlink(this.file.path).catch(() => undefined);
  }

  /** Decides where the record's bytes go, seals the page when it is full, then adds the slot. */
  private placeRecord(keyBytes: Uint8Array, keyStart: number, keyLength: number, seq: number, kind: EntryKind, givenBytes: Uint8Array, givenStart: number, givenLength: number): void {
    // A delete's value is never stored (and reads back empty), so it takes no room.
    const isDelete = kind === EntryKind.Delete;
    const valueBytes = isDelete ? NO_VALUE : givenBytes;
    const valueStart = isDelete ? 0 : givenStart;
    const valueLength = isDelete ? 0 : givenLength;
    const variable = this.layout.fixedWidth === undefined;
    const keyOverflow = variable && keyLength > this.keyLocalMax;
    // At most this much heap: a compact page may keep part of the key in its shared prefix.
    const keyHeap = keyHeapBytes({ bytesAfterPrefix: keyLength, overflow: keyOverflow }, this.layout.inlineKeyBytes);
    const valueOverflow = variable && this.recordOverheadMax + keyHeap + valueLength > this.layout.pageSizeBytes - PAGE_HEADER_BYTES;
    const pending = setRecord(this.pending, keyBytes, keyStart, keyLength, seq, kind, valueBytes, valueStart, valueLength, undefined, undefined);
    // The chains are written after the page is sealed (if it is full), so measure with placeholders.
    const sized =
      keyOverflow || valueOverflow
        ? setRecord(this.sized, keyBytes, keyStart, keyLength, seq, kind, valueBytes, valueStart, valueLength, keyOverflow ? PLACEHOLDER : undefined, valueOverflow ? PLACEHOLDER : undefined)
        : pending;
    if (!this.page.fits(sized)) this.sealPage();
    if (keyOverflow) pending.keyRef = this.writeOverflow(keyBytes.subarray(keyStart, keyStart + keyLength));
    if (valueOverflow) pending.valueRef = this.writeOverflow(valueBytes.subarray(valueStart, valueStart + valueLength));
    this.page.add(pending);
  }

  private writeOverflow(bytes: Uint8Array): OverflowRef {
    const chunks = encodeOverflowChain(bytes, this.layout);
    let storedBytes = 0;
    const fileOffset = this.output.nextOffset;
    for (const chunk of chunks) {
      this.output.append(chunk);
      storedBytes += chunk.length;
    }
    this.rawDataBytes += chunks.length * this.layout.pageSizeBytes;
    return { fileOffset, storedBytes };
  }

  /** Seals the current page; its fence is the last entry added (the page's last slot). The output queue copies the image. */
  private sealPage(): void {
    const image = this.page.finish(this.indexEntries.length);
    const stored = this.layout.compression === 'lz4' ? encodeFrame(image) : image;
    const fileOffset = this.output.append(stored);
    this.indexEntries.push({ fileOffset, storedBytes: stored.length, lastKey: this.lastKey.toArray(), lastSeq: this.lastSeq });
    this.rawDataBytes += image.length;
  }

  private pushKeyHash(hash: number): void {
    if (this.keyHashCount === this.keyHashes.length) {
      const grown = new Uint32Array(this.keyHashes.length * 2);
      grown.set(this.keyHashes);
      this.keyHashes = grown;
    }
    this.keyHashes[this.keyHashCount++] = hash;
  }
}

/** Whether `start` and `length` are non-negative integers naming bytes inside `bytes`. */
function isRangeOf(bytes: Uint8Array, start: number, length: number): boolean {
  return start >>> 0 === start && length >>> 0 === length && start + length <= bytes.length;
}

function emptyRecord(): SlotRecord {
  return { keyBytes: NO_VALUE, keyStart: 0, keyLength: 0, seq: 0, kind: EntryKind.Put, valueBytes: NO_VALUE, valueStart: 0, valueLength: 0, keyRef: undefined, valueRef: undefined };
}

function setRecord(
  record: SlotRecord,
  keyBytes: Uint8Array,
  keyStart: number,
  keyLength: number,
  seq: number,
  kind: EntryKind,
  valueBytes: Uint8Array,
  valueStart: number,
  valueLength: number,
  keyRef: OverflowRef | undefined,
  valueRef: OverflowRef | undefined,
): SlotRecord {
  record.keyBytes = keyBytes;
  record.keyStart = keyStart;
  record.keyLength = keyLength;
  record.seq = seq;
  record.kind = kind;
  record.valueBytes = valueBytes;
  record.valueStart = valueStart;
  record.valueLength = valueLength;
  record.keyRef = keyRef;
  record.valueRef = valueRef;
  return record;
}
