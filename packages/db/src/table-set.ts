/**
 * The page files of the current version, open and ready to read. Level 0 files may overlap
 * and are searched newest first; files of deeper levels do not overlap and are found by key
 * range. Installing a new version opens the files it adds and closes the ones it drops.
 */
import { CorruptionError, compareBytes, isKvError, toFileNum } from '@kv/base';
import type { IoError } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';
import type { TableFileMeta, Version } from '@kv/manifest';
import { TableReader } from '@kv/sstable';
import type { BlockCache } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { tableFileName } from './file-names.js';

export interface LevelStats {
  level: number;
  files: number;
  bytes: number;
}

export class TableSet {
  private readonly vfs: Vfs;
  private readonly dir: string;
  private readonly cache: BlockCache;
  private readonly readers = new Map<number, TableReader>();
  private installed: Version | undefined;

  constructor(options: { vfs: Vfs; dir: string; cache: BlockCache }) {
    this.vfs = options.vfs;
    this.dir = options.dir;
    this.cache = options.cache;
  }

  get version(): Version | undefined {
    return this.installed;
  }

  /** Opens the files `version` adds, then switches to it, then closes the files it dropped. */
  async install(version: Version): Promise<void> {
    const wanted = new Set<number>();
    for (const file of version.files()) {
      wanted.add(file.fileNumber);
      if (!this.readers.has(file.fileNumber)) this.readers.set(file.fileNumber, await this.openReader(file));
    }
    this.installed = version;
    for (const [number, reader] of this.readers) {
      if (wanted.has(number)) continue;
      this.readers.delete(number);
      this.cache.evictFile(number);
      await reader.close();
    }
  }

  private async openReader(file: TableFileMeta): Promise<TableReader> {
    const path = `${this.dir}/${tableFileName(toFileNum(file.fileNumber))}`;
    try {
      return await TableReader.open(this.vfs, path, { fileNumber: file.fileNumber, cache: this.cache, expectedSizeBytes: file.sizeBytes });
    } catch (error) {
      if (isKvError(error, 'IO_ERROR') && (error as IoError).osCode === 'ENOENT') {
        throw new CorruptionError(path, 'page file named by the manifest is missing', error);
      }
      throw error;
    }
  }

  /** The newest version of `key` at or below `seqMax` in any page file, or undefined. */
  get(key: Uint8Array, seqMax: SeqNum): InternalEntry | undefined {
    const version = this.installed;
    if (version === undefined) return undefined;
    for (const [level, files] of version.levels.entries()) {
      const candidates = level === 0 ? files.filter((file) => covers(file, key)) : findCovering(files, key);
      for (const file of candidates) {
        const found = this.readers.get(file.fileNumber)?.get(key, seqMax);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  /** One iterator per page file, for merging. */
  iterators(): InternalIterator[] {
    const version = this.installed;
    if (version === undefined) return [];
    return version.files().flatMap((file) => {
      const reader = this.readers.get(file.fileNumber);
      return reader === undefined ? [] : [reader.iterator()];
    });
  }

  levelStats(): LevelStats[] {
    const version = this.installed;
    if (version === undefined) return [];
    return version.levels.map((files, level) => ({ level, files: files.length, bytes: files.reduce((sum, f) => sum + f.sizeBytes, 0) }));
  }

  async close(): Promise<void> {
    for (const reader of this.readers.values()) await reader.close();
    this.readers.clear();
  }
}

function covers(file: TableFileMeta, key: Uint8Array): boolean {
  return compareBytes(key, file.smallestKey) >= 0 && compareBytes(key, file.largestKey) <= 0;
}

/** In a sorted, non-overlapping level: the one file whose range holds `key`, if any. */
function findCovering(files: readonly TableFileMeta[], key: Uint8Array): TableFileMeta[] {
  let low = 0;
  let high = files.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const file = files[middle] as TableFileMeta;
    if (compareBytes(file.largestKey, key) < 0) low = middle + 1;
    else high = middle;
  }
  const file = files[low];
  return file !== undefined && covers(file, key) ? [file] : [];
}
