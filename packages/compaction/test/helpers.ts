/**
 * Shared test helpers: an array-backed internal iterator, input tables on a MemoryVfs, reading
 * outputs back, and versions built from file metadata for the picker tests.
 */
import { EntryKind, assert, compareBytes, compareInternal, toSeqNum } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';
import { Version } from '@kv/manifest';
import { expect } from 'vitest';
import type { TableFileMeta } from '@kv/manifest';
import { TableBuilder, TableReader } from '@kv/sstable';
import type { TableBuildOptions } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { tableFileName, toFileMeta } from '../src/index.js';

export const DIR = '/db';
export const SEQ_MAX = Number.MAX_SAFE_INTEGER;

export interface ModelEntry {
  key: Uint8Array;
  seq: number;
  kind: EntryKind;
  value: Uint8Array;
}

export function compareEntries(a: { key: Uint8Array; seq: number }, b: { key: Uint8Array; seq: number }): number {
  return compareInternal(a.key, a.seq, b.key, b.seq);
}

export function sortEntries<T extends { key: Uint8Array; seq: number }>(entries: readonly T[]): T[] {
  return [...entries].sort(compareEntries);
}

/** A sorted array as an `InternalIterator`, written as plainly as possible (the model's side). */
export class ArrayIterator implements InternalIterator {
  private index: number;
  constructor(private readonly entries: readonly ModelEntry[]) {
    this.index = entries.length;
  }
  get valid(): boolean {
    return this.index >= 0 && this.index < this.entries.length;
  }
  get entry(): InternalEntry {
    const entry = this.entries[this.index];
    assert(entry !== undefined, 'valid array iterator');
    return { key: entry.key, seq: toSeqNum(entry.seq), kind: entry.kind, value: entry.value };
  }
  seekToFirst(): void {
    this.index = 0;
  }
  seekToLast(): void {
    this.index = this.entries.length - 1;
  }
  seek(key: Uint8Array, seq: SeqNum = toSeqNum(SEQ_MAX)): void {
    const i = this.entries.findIndex((entry) => compareInternal(entry.key, entry.seq, key, seq) >= 0);
    this.index = i === -1 ? this.entries.length : i;
  }
  seekForPrev(key: Uint8Array, seq: SeqNum = toSeqNum(0)): void {
    this.index = this.entries.findLastIndex((entry) => compareInternal(entry.key, entry.seq, key, seq) <= 0);
  }
  next(): void {
    this.index++;
  }
  prev(): void {
    this.index--;
  }
}

/** Builds `entries` (any order) as page file `fileNumber` in `dir` and returns its manifest record. */
export async function buildInput(vfs: Vfs, options: { dir?: string; fileNumber: number; level: number; entries: readonly ModelEntry[]; build?: TableBuildOptions }): Promise<TableFileMeta> {
  const dir = options.dir ?? DIR;
  const builder = await TableBuilder.create(vfs, `${dir}/${tableFileName(options.fileNumber)}`, options.build ?? { pageSizeBytes: 1024 });
  for (const entry of sortEntries(options.entries)) builder.add(entry.key, toSeqNum(entry.seq), entry.kind, entry.value);
  return toFileMeta(options.level, options.fileNumber, await builder.finish());
}

/** Every entry of the files, in file order then internal order (copied). */
export async function readFiles(vfs: Vfs, files: readonly TableFileMeta[], dir = DIR): Promise<ModelEntry[]> {
  const entries: ModelEntry[] = [];
  for (const file of files) {
    const reader = await TableReader.open(vfs, `${dir}/${tableFileName(file.fileNumber)}`, { fileNumber: file.fileNumber, expectedSizeBytes: file.sizeBytes });
    const iterator = reader.iterator();
    for (iterator.seekToFirst(); iterator.valid; iterator.next()) {
      const { key, seq, kind, value } = iterator.entry;
      entries.push({ key: key.slice(), seq, kind, value: value.slice() });
    }
    await reader.close();
  }
  return entries;
}

/** The newest entry of `key` at or below `seq` among `entries`, as the read path would answer. */
export function readAt(entries: readonly ModelEntry[], key: Uint8Array, seq: number): ModelEntry | undefined {
  let best: ModelEntry | undefined;
  for (const entry of entries) {
    if (compareBytes(entry.key, key) !== 0 || entry.seq > seq) continue;
    if (best === undefined || entry.seq > best.seq) best = entry;
  }
  return best;
}

export function put(key: string | Uint8Array, seq: number, value: string | Uint8Array = `v${seq}`): ModelEntry {
  return { key: bytes(key), seq, kind: EntryKind.Put, value: bytes(value) };
}

export function del(key: string | Uint8Array, seq: number): ModelEntry {
  return { key: bytes(key), seq, kind: EntryKind.Delete, value: new Uint8Array(0) };
}

export function bytes(text: string | Uint8Array): Uint8Array {
  return typeof text === 'string' ? new TextEncoder().encode(text) : text;
}

/** A manifest record for picker tests (no file behind it). */
export function fileMeta(level: number, fileNumber: number, smallest: string, largest: string, sizeBytes: number): TableFileMeta {
  return { level, fileNumber, sizeBytes, smallestKey: bytes(smallest), largestKey: bytes(largest), seqMin: 1, seqMax: 1, entryCount: 1, tombstoneCount: 0 };
}

/** A version holding `files` (level 0 ordered newest first by the version itself). */
export function versionWith(files: readonly TableFileMeta[]): Version {
  const nextFileNumber = Math.max(0, ...files.map((file) => file.fileNumber)) + 1;
  return Version.empty().apply({ nextFileNumber, addedFiles: [...files] });
}

/** Same paths, same bytes (compared as buffers: deep equality of large arrays is slow). */
export function expectSameFiles(actual: Map<string, Uint8Array>, expected: Map<string, Uint8Array>): void {
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [path, content] of expected) expect(Buffer.from(actual.get(path) ?? new Uint8Array(0)).equals(Buffer.from(content)), path).toBe(true);
}
