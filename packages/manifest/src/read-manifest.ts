/**
 * Replays the live manifest without changing anything on disk: read CURRENT, then apply every
 * edit of the manifest it names. `Manifest.open` builds on it; a read-only open or an
 * inspection tool can call it directly.
 */
import { CorruptionError } from '@kv/base';
import type { Vfs } from '@kv/vfs';
import { WalReader } from '@kv/wal';
import type { WalReplayReport } from '@kv/wal';
import { posix } from 'node:path';
import { readCurrent } from './current-file.js';
import { decodeVersionEdit } from './decode-version-edit.js';
import { parseManifestFileName } from './file-names.js';
import { checkTornTail } from './torn-tail-check.js';
import { Version } from './version.js';
import type { VersionEdit } from './version-edit.js';

export interface ManifestReplay {
  manifestName: string;
  manifestNumber: number;
  /** The version after every edit of the manifest. */
  version: Version;
  /**
   * What the WAL reader found. `stoppedEarly` means a torn last edit was dropped: it was
   * never acknowledged, because an edit is acknowledged only after its sync.
   */
  report: WalReplayReport;
  /** The manifest file's size when it was read. */
  fileBytes: number;
  /** The last edit is the close marker (`Manifest.close` synced every edit before it). */
  closedCleanly: boolean;
  /** Edits other than close markers: 1 for a manifest that holds only its opening snapshot. */
  editCount: number;
}

/**
 * Returns `undefined` when `dir` has no CURRENT. CURRENT naming a missing manifest, a manifest
 * without its opening snapshot, damage anywhere but a torn last edit (see torn-tail-check.ts),
 * or an edit that does not decode or apply is `CorruptionError` naming the manifest file.
 */
export async function readManifest(vfs: Vfs, dir: string): Promise<ManifestReplay | undefined> {
  const manifestName = await readCurrent(vfs, dir);
  if (manifestName === undefined) return undefined;
  return readManifestFile(vfs, dir, manifestName);
}

/**
 * Replays the manifest `manifestName` of `dir` whatever CURRENT says (repair uses it when
 * CURRENT is lost). The same rules and errors as `readManifest`.
 */
export async function readManifestFile(vfs: Vfs, dir: string, manifestName: string): Promise<ManifestReplay> {
  const manifestNumber = parseManifestFileName(manifestName);
  if (manifestNumber === undefined) throw new CorruptionError(`manifest ${dir}`, `CURRENT names ${manifestName}`);
  const path = posix.join(dir, manifestName);
  const where = `manifest ${path}`;
  const stat = await vfs.stat(path);
  if (stat === undefined || stat.isDirectory) throw new CorruptionError(where, 'named by CURRENT but missing');
  const reader = await WalReader.open(vfs, path, { logNumber: manifestNumber, mode: 'tolerateCorruptedTail' });
  try {
    const edits: { edit: VersionEdit; where: string }[] = [];
    // Bounded by the file: the reader returns each record once and ends at end of file.
    for await (const record of reader) {
      const recordWhere = `${where} record at offset ${record.position.offset}`;
      edits.push({ edit: decodeVersionEdit(record.payload, recordWhere), where: recordWhere });
    }
    const version = Version.empty().applyReplayed(edits);
    const report = reader.report;
    // CURRENT is switched only after the opening snapshot was synced, so it cannot be missing.
    if (report.records === 0) throw new CorruptionError(where, 'holds no edits (its opening snapshot is missing)');
    if (report.stoppedEarly) await checkTornTail(vfs, path, { logNumber: manifestNumber, from: report.lastGoodOffset, where });
    const closedCleanly = edits.at(-1)?.edit.closed === true;
    const editCount = edits.filter(({ edit }) => edit.closed !== true).length;
    return { manifestName, manifestNumber, version, report, fileBytes: stat.sizeBytes, closedCleanly, editCount };
  } finally {
    await reader.close();
  }
}
