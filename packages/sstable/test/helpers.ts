/**
 * Shared test helpers: build a table in a MemoryVfs from a list of entries, a naive model to
 * check reads against, and one-line damage (flip a byte, truncate, re-seal a page).
 */
import { compareBytes, crc32, EntryKind, maskCrc, toSeqNum } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { TableBuilder, TableReader } from '../src/index.js';
import type { BlockCache, TableBuildOptions, TableProperties } from '../src/index.js';

export const TABLE_PATH = '/db/000005.sst';
export const FILE_NUMBER = 5;

export interface ModelEntry {
  key: Uint8Array;
  seq: number;
  kind: EntryKind;
  value: Uint8Array;
}

export interface BuiltTable {
  vfs: MemoryVfs;
  properties: TableProperties;
}

/** Internal order of the model: key ascending, then seq descending. */
export function compareEntries(a: ModelEntry, b: ModelEntry): number {
  const byKey = compareBytes(a.key, b.key);
  return byKey !== 0 ? byKey : b.seq - a.seq;
}

/** Sorts and removes duplicate (key, seq) pairs. */
export function normalize(entries: ModelEntry[]): ModelEntry[] {
  const sorted = [...entries].sort(compareEntries);
  return sorted.filter((entry, i) => i === 0 || compareEntries(sorted[i - 1] as ModelEntry, entry) !== 0);
}

export async function buildTable(entries: readonly ModelEntry[], options: TableBuildOptions = {}, vfs = new MemoryVfs()): Promise<BuiltTable> {
  await vfs.mkdir('/db', { recursive: true });
  const builder = await TableBuilder.create(vfs, TABLE_PATH, options);
  for (const entry of entries) builder.add(entry.key, toSeqNum(entry.seq), entry.kind, entry.value);
  const properties = await builder.finish();
  return { vfs, properties };
}

export function openTable(vfs: MemoryVfs, cache?: BlockCache): Promise<TableReader> {
  return TableReader.open(vfs, TABLE_PATH, cache === undefined ? { fileNumber: FILE_NUMBER } : { fileNumber: FILE_NUMBER, cache });
}

/** The newest model entry for `key` with seq <= seqMax. */
export function modelGet(entries: readonly ModelEntry[], key: Uint8Array, seqMax: number): ModelEntry | undefined {
  return entries.find((entry) => compareBytes(entry.key, key) === 0 && entry.seq <= seqMax);
}

/** Index of the first model entry at or after (key, seq); length when none. */
export function modelSeek(entries: readonly ModelEntry[], key: Uint8Array, seq: number): number {
  const target = { key, seq, kind: EntryKind.Put, value: new Uint8Array(0) };
  const i = entries.findIndex((entry) => compareEntries(entry, target) >= 0);
  return i === -1 ? entries.length : i;
}

/** Index of the last model entry at or before (key, seq); -1 when none. */
export function modelSeekForPrev(entries: readonly ModelEntry[], key: Uint8Array, seq: number): number {
  const target = { key, seq, kind: EntryKind.Put, value: new Uint8Array(0) };
  let found = -1;
  entries.forEach((entry, i) => {
    if (compareEntries(entry, target) <= 0) found = i;
  });
  return found;
}

/** A plain copy of an entry, comparable with `toEqual`. */
export function plain(entry: InternalEntry | ModelEntry | undefined): { key: number[]; seq: number; kind: number; value: number[] } | undefined {
  if (entry === undefined) return undefined;
  return { key: Array.from(entry.key), seq: entry.seq, kind: entry.kind, value: Array.from(entry.value) };
}

export function collectForward(it: InternalIterator): ModelEntry[] {
  const out: ModelEntry[] = [];
  for (it.seekToFirst(); it.valid; it.next()) out.push(copyEntry(it.entry));
  return out;
}

export function collectBackward(it: InternalIterator): ModelEntry[] {
  const out: ModelEntry[] = [];
  for (it.seekToLast(); it.valid; it.prev()) out.push(copyEntry(it.entry));
  return out;
}

export function copyEntry(entry: InternalEntry): ModelEntry {
  return { key: entry.key.slice(), seq: entry.seq, kind: entry.kind, value: entry.value.slice() };
}

export const seqOf = (n: number): SeqNum => toSeqNum(n);
export const text = (value: string): Uint8Array => new TextEncoder().encode(value);

/** Bytes 0..n-1 of a deterministic pattern. */
export function patterned(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let state = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    out[i] = state & 0xff;
  }
  return out;
}

/** Replaces the table file's content. */
export async function replaceFile(vfs: MemoryVfs, bytes: Uint8Array): Promise<void> {
  await vfs.unlink(TABLE_PATH);
  const file = await vfs.open(TABLE_PATH, { create: true });
  await file.write({ data: bytes, position: 0 });
  await file.close();
}

export function flipByte(bytes: Uint8Array, offset: number, mask = 0xff): Uint8Array {
  const copy = bytes.slice();
  copy[offset] = (copy[offset] as number) ^ mask;
  return copy;
}

export function truncateTo(bytes: Uint8Array, length: number): Uint8Array {
  return bytes.slice(0, length);
}

/** Recomputes the checksum of the page at `pageStart` (a page of `pageSize` bytes). */
export function fixChecksum(bytes: Uint8Array, pageStart: number, pageSize: number): void {
  const crc = maskCrc(crc32(bytes.subarray(pageStart + 4, pageStart + pageSize)));
  new DataView(bytes.buffer, bytes.byteOffset).setUint32(pageStart, crc, true);
}
