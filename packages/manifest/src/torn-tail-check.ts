/**
 * Tells a torn last edit from damage that hides acknowledged edits.
 *
 * The WAL reader ends the log at damage it cannot see past (a flipped length byte makes the
 * rest of its block unreadable), which is right for a torn tail but would silently drop every
 * later edit if the damage sits in the middle. A manifest has at most one unsynced record, the
 * last one: each edit is synced before the next is appended. So a genuine torn tail is a prefix
 * of one record and holds no complete FULL or LAST fragment; finding one at any byte offset
 * after the damage proves acknowledged edits follow it.
 */
import { CorruptionError, crc32, unmaskCrc, viewOf, writeUint64 } from '@kv/base';
import type { Vfs } from '@kv/vfs';
import { BLOCK_SIZE_BYTES, FRAGMENT_HEADER_BYTES, FragmentType } from '@kv/wal';

/** Offsets inside a WAL fragment header (`crc:4 length:2 type:1`, see @kv/wal's FORMAT.md). */
const CRC_OFFSET = 0;
const LENGTH_OFFSET = 4;
const TYPE_OFFSET = 6;

/** Throws `CorruptionError` when a complete record-ending fragment starts at or after `from`. */
export async function checkTornTail(vfs: Vfs, path: string, options: { logNumber: number; from: number; where: string }): Promise<void> {
  const bytes = await vfs.readFile(path);
  const found = completeFragmentAfter(bytes, options);
  if (found !== undefined) {
    throw new CorruptionError(options.where, `damage at offset ${options.from} is followed by an intact edit at offset ${found} (not a torn tail)`);
  }
}

/** The offset of the first valid FULL or LAST fragment starting at or after `from`, if any. */
export function completeFragmentAfter(bytes: Uint8Array, options: { logNumber: number; from: number }): number | undefined {
  const seed = logSeed(options.logNumber);
  const view = viewOf(bytes);
  // One candidate per byte offset: bounded by the file size.
  for (let offset = options.from; offset + FRAGMENT_HEADER_BYTES <= bytes.length; offset++) {
    const type = bytes[offset + TYPE_OFFSET];
    if (type !== FragmentType.Full && type !== FragmentType.Last) continue;
    const end = offset + FRAGMENT_HEADER_BYTES + view.getUint16(offset + LENGTH_OFFSET, true);
    const blockEnd = (Math.floor(offset / BLOCK_SIZE_BYTES) + 1) * BLOCK_SIZE_BYTES;
    if (end > bytes.length || end > blockEnd) continue;
    const crc = crc32(bytes.subarray(offset + TYPE_OFFSET, end), seed);
    if (crc === unmaskCrc(view.getUint32(offset + CRC_OFFSET, true))) return offset;
  }
  return undefined;
}

/** The CRC of the log number's 8 little-endian bytes, which starts every fragment's CRC. */
function logSeed(logNumber: number): number {
  const bytes = new Uint8Array(8);
  writeUint64(viewOf(bytes), 0, logNumber);
  return crc32(bytes);
}
