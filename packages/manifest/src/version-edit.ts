import type { RangeTombstone } from '@kv/base';
/**
 * The records of the manifest. A database's file set (its `Version`) is the result of applying
 * every edit in the live manifest, in order, to the empty version.
 */

/** One page file (sstable) of a level. Keys are user keys. */
export interface TableFileMeta {
  level: number;
  fileNumber: number;
  sizeBytes: number;
  smallestKey: Uint8Array;
  largestKey: Uint8Array;
  seqMin: number;
  seqMax: number;
  entryCount: number;
  tombstoneCount: number;
}

/** Identifies a file to remove: the level it is in and its number. */
export interface RemovedFile {
  level: number;
  fileNumber: number;
}

/**
 * Settings fixed when the database is created that must never change. The manifest stores
 * them; the engine interprets them.
 */
export interface DatabaseOptionsRecord {
  pageSizeBytes: number;
  fixedWidth?: { keySize: number; valueSize: number };
}


/**
 * A change to the version. Absent fields leave the version as it is; an empty list is the
 * same as an absent one (decoding returns neither).
 * - `logNumber`: the smallest WAL segment still needed; older segments are obsolete.
 * - `nextFileNumber`: the next number to allocate (logs, tables and manifests share it).
 * - `lastSequence`: the last sequence number used by data in page files.
 * - `options`: only in the first edit of a database and in every snapshot.
 * - `removedRangeTombstones` / `addedRangeTombstones`: range deletions leave memtables for the
 *   manifest when their memtable is flushed, and leave the manifest once no page file holds a
 *   version they hide. A tombstone is identified by its sequence number.
 * - `closed`: the close marker, alone in its edit; it changes nothing in the version. Its
 *   writer (`Manifest.close`) synced every edit before it, so the next open may append to
 *   this manifest instead of rewriting it (FORMAT.md, "Open").
 */
export interface VersionEdit {
  closed?: true;
  logNumber?: number;
  nextFileNumber?: number;
  lastSequence?: number;
  addedFiles?: TableFileMeta[];
  removedFiles?: RemovedFile[];
  options?: DatabaseOptionsRecord;
  removedRangeTombstones?: number[];
  addedRangeTombstones?: RangeTombstone[];
}
