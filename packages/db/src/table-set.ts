/**
 * The page files of the current version, open and ready to read. Level 0 files may overlap
 * and are searched newest first; files of deeper levels do not overlap and are found by key
 * range.
 *
 * Files are reference-counted: an iterator pins the files of the version it started with
 * (`acquire`). Installing a new version opens the files it adds; a file it drops is closed
 * and deleted once no pinned view uses it any more (deleting it earlier would pull the file
 * out from under an iterator). A crash before that leaves an orphan that open removes.
 */
import { CorruptionError, compareBytes, isKvError, toFileNum } from '@kv/base';
import type { IoError } from '@kv/base';
import type { InternalEntry, InternalIterator, SeqNum } from '@kv/base';
import { ConcatenatingIterator } from '@kv/compaction';
import type { ConcatenatedPart } from '@kv/compaction';
import { Version } from '@kv/manifest';
import type { TableFileMeta } from '@kv/manifest';
import { TableReader, bloomKeyHash } from '@kv/sstable';
import type { BlockCache } from '@kv/sstable';
import type { Vfs } from '@kv/vfs';
import { tableFileName } from './file-names.js';

/** Page files opened at once by one install (each holds a descriptor from then on anyway). */
const OPENS_IN_PARALLEL = 16;

export interface LevelStats {
  level: number;
  files: number;
  bytes: number;
}

interface OpenTable {
  reader: TableReader;
  /** Views (iterators) using this file. */
  refs: number;
  /** Dropped by the installed version: delete when `refs` reaches 0. */
  obsolete: boolean;
}

/** The page files of one version, pinned until `release()`. */
/** What `verify()` found. */
export interface VerifyReport {
  filesChecked: number;
  pagesChecked: number;
  /** Each damaged file, with the error reading it gave (CORRUPTION, IO_ERROR, ...). */
  damaged: { file: string; level: number; code: string; message: string }[];
}

/** A version's open files as iterators use them (see `acquire`). */
interface VersionLayout {
  version: Version;
  /** Every file with its open table, to pin. */
  tables: { number: number; table: OpenTable }[];
  /** Level-0 files, newest first. */
  level0: TableReader[];
  /** One concatenated run per non-empty deeper level. */
  runs: ConcatenatedPart[][];
}

export interface TableView {
  readonly version: Version;
  iterators(): InternalIterator[];
  release(): void;
}

export class TableSet {
  private readonly vfs: Vfs;
  private readonly dir: string;
  private readonly cache: BlockCache;
  private readonly readers = new Map<number, OpenTable>();
  private installed: Version | undefined;
  private layout: VersionLayout = { version: Version.empty(), tables: [], level0: [], runs: [] };
  private installing: Promise<void> = Promise.resolve();
  /** Errors from deleting obsolete files in the background (the next open retries). */
  deleteFailures = 0;

  /** Whether retired files are deleted (the writer) or only closed (a read-only open). */
  private readonly deletesRetired: boolean;

  constructor(options: { vfs: Vfs; dir: string; cache: BlockCache; deletesRetired?: boolean }) {
    this.vfs = options.vfs;
    this.dir = options.dir;
    this.cache = options.cache;
    this.deletesRetired = options.deletesRetired ?? true;
  }

  get version(): Version | undefined {
    return this.installed;
  }

  /**
   * Opens the files `version` adds, then switches to it (running `atSwitch` in the same
   * synchronous step, for state that must change with it), then retires the files it dropped.
   * Installs run one at a time, in call order: flushes and compactions both install, and
   * each passes the manifest's newest version, so the last install wins with the newest.
   */
  install(version: Version, atSwitch?: () => void): Promise<void> {
    const next = this.installing.then(() => this.installNow(version, atSwitch));
    this.installing = next.catch(() => undefined);
    return next;
  }

  private async installNow(version: Version, atSwitch?: () => void): Promise<void> {
    const wanted = new Set<number>();
    const toOpen: TableFileMeta[] = [];
    for (const file of version.files()) {
      wanted.add(file.fileNumber);
      const open = this.readers.get(file.fileNumber);
      if (open === undefined) toOpen.push(file);
      else open.obsolete = false;
    }
    await this.openReaders(toOpen);
    atSwitch?.();
    this.installed = version;
    this.layout = this.layoutOf(version);
    for (const [number, table] of this.readers) {
      if (wanted.has(number) || table.obsolete) continue;
      table.obsolete = true;
      if (table.refs === 0) this.retire(number, table);
    }
  }

  /**
   * Pins the installed version's files for an iterator. Its sources are one iterator per
   * level-0 file (they overlap) and one concatenated run per deeper level, so a seek reads
   * one file per level. The arrangement is built once per install, so an iterator costs one
   * reference count per file and no per-file objects.
   */
  acquire(): TableView {
    const layout = this.layout;
    for (const { table } of layout.tables) table.refs++;
    let released = false;
    return {
      version: layout.version,
      iterators: () => {
        const sources: InternalIterator[] = layout.level0.map((reader) => reader.iterator());
        for (const parts of layout.runs) sources.push(new ConcatenatingIterator(parts));
        return sources;
      },
      release: () => {
        if (released) return;
        released = true;
        for (const { number, table } of layout.tables) {
          table.refs--;
          if (table.refs === 0 && table.obsolete) this.retire(number, table);
        }
      },
    };
  }

  /** `version`'s open files arranged for `acquire`. */
  private layoutOf(version: Version): VersionLayout {
    const layout: VersionLayout = { version, tables: [], level0: [], runs: [] };
    for (const [level, files] of version.levels.entries()) {
      const parts: ConcatenatedPart[] = [];
      for (const file of files) {
        const table = this.readers.get(file.fileNumber);
        if (table === undefined) continue;
        layout.tables.push({ number: file.fileNumber, table });
        const reader = table.reader;
        if (level === 0) layout.level0.push(reader);
        else parts.push({ smallestKey: file.smallestKey, largestKey: file.largestKey, open: () => reader.iterator() });
      }
      if (parts.length > 0) layout.runs.push(parts);
    }
    return layout;
  }

  /** Closes (and for the writer deletes) a file no version or view uses. Runs in the background. */
  private retire(number: number, table: OpenTable): void {
    this.readers.delete(number);
    this.cache.evictFile(number);
    const path = `${this.dir}/${tableFileName(toFileNum(number))}`;
    void table.reader
      .close()
      .then(() => (this.deletesRetired ? this.vfs.unlink(path) : undefined))
      .catch(() => {
        this.deleteFailures++;
      });
  }

  /**
   * Opens `files` several at a time (an open is a few small reads, mostly waiting on the
   * thread pool) and adds each to `readers`; rethrows the first failure once all settled.
   */
  private async openReaders(files: readonly TableFileMeta[]): Promise<void> {
    let next = 0;
    let failure: { error: unknown } | undefined;
    const opener = async (): Promise<void> => {
      while (next < files.length) {
        const file = files[next++] as TableFileMeta;
        try {
          this.readers.set(file.fileNumber, { reader: await this.openReader(file), refs: 0, obsolete: false });
        } catch (error) {
          failure ??= { error };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(OPENS_IN_PARALLEL, files.length) }, opener));
    if (failure !== undefined) throw failure.error;
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

  /**
   * The newest version of `key` at or below `seqMax` in any page file, or undefined. The
   * entry may live in a scratch page (`TableReader.getTransient`): copy what you keep before
   * the next read.
   */
  get(key: Uint8Array, seqMax: SeqNum): InternalEntry | undefined {
    const version = this.installed;
    if (version === undefined) return undefined;
    // Plain loops: this runs on every point read that misses the memtables. The key's bloom
    // hash is the same for every file, so it is computed once.
    const keyHash = bloomKeyHash(key);
    const levels = version.levels;
    const level0 = levels[0] ?? [];
    for (let i = 0; i < level0.length; i++) {
      const file = level0[i] as TableFileMeta;
      if (!covers(file, key)) continue;
      const found = this.readers.get(file.fileNumber)?.reader.getTransient(key, seqMax, keyHash);
      if (found !== undefined) return found;
    }
    for (let level = 1; level < levels.length; level++) {
      const file = findCovering(levels[level] as readonly TableFileMeta[], key);
      if (file === undefined) continue;
      const found = this.readers.get(file.fileNumber)?.reader.getTransient(key, seqMax, keyHash);
      if (found !== undefined) return found;
    }
    return undefined;
  }

  /**
   * Reads every page of every file of the installed version again and checks it (checksums,
   * structure, order); a damaged file is reported, not thrown. The files stay pinned while
   * they are checked, so a compaction cannot delete one mid-check.
   */
  async verify(): Promise<VerifyReport> {
    const view = this.acquire();
    const report: VerifyReport = { filesChecked: 0, pagesChecked: 0, damaged: [] };
    try {
      for (const file of view.version.files()) {
        const path = `${this.dir}/${tableFileName(toFileNum(file.fileNumber))}`;
        const reader = this.readers.get(file.fileNumber)?.reader;
        report.filesChecked++;
        try {
          if (reader === undefined) throw new CorruptionError(path, 'page file named by the manifest is not open');
          report.pagesChecked += (await reader.verify()).pagesChecked;
        } catch (error) {
          if (!isKvError(error)) throw error;
          report.damaged.push({ file: path, level: file.level, code: error.code, message: error.message });
        }
      }
    } finally {
      view.release();
    }
    return report;
  }

  /** `paranoidChecks` on open: the first damaged page file is CORRUPTION naming it. */
  async checkEveryPage(): Promise<void> {
    const damaged = (await this.verify()).damaged[0];
    if (damaged !== undefined) throw new CorruptionError(damaged.file, `paranoid check on open: ${damaged.message}`);
  }

  levelStats(): LevelStats[] {
    const version = this.installed;
    if (version === undefined) return [];
    return version.levels.map((files, level) => ({ level, files: files.length, bytes: files.reduce((sum, f) => sum + f.sizeBytes, 0) }));
  }

  /** Closes every file (pinned or not); obsolete ones are left for the next open to delete. */
  async close(): Promise<void> {
    for (const table of this.readers.values()) await table.reader.close();
    this.readers.clear();
  }
}

function covers(file: TableFileMeta, key: Uint8Array): boolean {
  return compareBytes(key, file.smallestKey) >= 0 && compareBytes(key, file.largestKey) <= 0;
}

/** In a sorted, non-overlapping level: the one file whose range holds `key`, if any. */
function findCovering(files: readonly TableFileMeta[], key: Uint8Array): TableFileMeta | undefined {
  let low = 0;
  let high = files.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    const file = files[middle] as TableFileMeta;
    if (compareBytes(file.largestKey, key) < 0) low = middle + 1;
    else high = middle;
  }
  const file = files[low];
  return file !== undefined && compareBytes(key, file.smallestKey) >= 0 ? file : undefined;
}
