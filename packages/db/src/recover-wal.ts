/**
 * Open-time WAL recovery: replays every segment, oldest first, into a fresh memtable.
 *
 * Rules (see the package README, "Recovery"):
 * - A segment whose tail was dropped (torn by a crash, or damaged where the recovery mode
 *   allows it) is truncated to its last good record and synced, so the dropped bytes can
 *   never resurface and segments written after this open never follow damage.
 * - In 'pointInTime' mode, replay stops at the first damaged record: later segments are
 *   deleted, as RocksDB's point-in-time recovery discards everything after that point.
 * - Sequence numbers must increase across the whole replay, starting above the last one the
 *   manifest records as flushed; anything else is CORRUPTION.
 */
import { CorruptionError, toSeqNum } from '@kv/base';
import type { FileNum, SeqNum } from '@kv/base';
import { Memtable } from '@kv/memtable';
import type { Vfs } from '@kv/vfs';
import { WalReader } from '@kv/wal';
import type { WalRecoveryMode } from '@kv/wal';
import { decodeBatch } from './batch-codec.js';
import { applyOp } from './write-op.js';
import { logFileName } from './file-names.js';

export interface RecoveredWal {
  memtable: Memtable;
  lastSeq: SeqNum;
  /** Bytes of damaged or torn records the recovery mode dropped, over all segments. */
  droppedBytes: number;
}

interface ReplayContext {
  vfs: Vfs;
  dir: string;
  mode: WalRecoveryMode;
  memtable: Memtable;
  lastSeq: SeqNum;
  droppedBytes: number;
  readOnly: boolean;
}

/**
 * `readOnly`: change nothing on disk (a read-only open beside a live writer): dropped tails
 * stay, and nothing is discarded; the writer's next open does that. Its readers treat zeros at
 * a record boundary as the end of the log whatever follows (`WalReader.open`, `liveWriter`):
 * the writer may be filling preallocated space while it is read.
 */
export async function recoverWal(options: { vfs: Vfs; dir: string; mode: WalRecoveryMode; logs: readonly FileNum[]; lastSeq: SeqNum; readOnly?: boolean }): Promise<RecoveredWal> {
  const readOnly = options.readOnly ?? false;
  // Each replayed record is an array of its own: the memtable copies keys and values into its
  // own chunks rather than referencing one buffer per record.
  const context: ReplayContext = { vfs: options.vfs, dir: options.dir, mode: options.mode, memtable: new Memtable(), lastSeq: options.lastSeq, droppedBytes: 0, readOnly };
  const readers = readOnly ? await openNewestFirst(context, options.logs) : undefined;
  try {
    for (const [index, logNumber] of options.logs.entries()) {
      const outcome = await replaySegment(context, logNumber, readers?.[index]);
      if (outcome.stoppedEarly && readOnly) break;
      if (outcome.stoppedEarly && options.mode === 'pointInTime') {
        await discardSegments(context, options.logs.slice(index + 1));
        break;
      }
    }
  } finally {
    await closeAll(readers ?? []);
  }
  // Complete: the caller flushes it or serves reads from it, and adds nothing.
  context.memtable.freeze();
  return { memtable: context.memtable, lastSeq: context.lastSeq, droppedBytes: context.droppedBytes };
}

/**
 * Beside a live writer, a segment may exist before the one it follows is complete: the writer
 * creates the next segment ahead of its switch. A reader that took each segment's size oldest
 * first could read an older segment before its last records and a newer one after its first:
 * a state no prefix of the writes produced. Each reader's size is taken when it opens, so
 * opening newest first makes every older segment's size the later one: a newer segment holds
 * records only once every older one is complete, so what is read is a prefix of the log.
 */
async function openNewestFirst(context: ReplayContext, logs: readonly FileNum[]): Promise<WalReader[]> {
  const readers: WalReader[] = [];
  try {
    for (let i = logs.length - 1; i >= 0; i--) {
      const logNumber = logs[i] as FileNum;
      readers.unshift(await WalReader.open(context.vfs, `${context.dir}/${logFileName(logNumber)}`, { logNumber, mode: context.mode, liveWriter: true }));
    }
  } catch (error) {
    await closeAll(readers);
    throw error;
  }
  return readers;
}

/** Closes every reader, even when one fails to close; then rethrows the first failure. */
async function closeAll(readers: readonly WalReader[]): Promise<void> {
  const outcomes = await Promise.allSettled(readers.map((reader) => reader.close()));
  const failed = outcomes.find((outcome) => outcome.status === 'rejected');
  if (failed !== undefined) throw failed.reason;
}

async function replaySegment(context: ReplayContext, logNumber: FileNum, opened: WalReader | undefined): Promise<{ stoppedEarly: boolean }> {
  const name = logFileName(logNumber);
  const path = `${context.dir}/${name}`;
  const reader = opened ?? (await WalReader.open(context.vfs, path, { logNumber, mode: context.mode }));
  try {
    for (let record = await reader.next(); record !== undefined; record = await reader.next()) {
      applyRecord(context, record.payload, `${name} @ ${record.position.offset}`);
    }
  } finally {
    await reader.close();
  }
  const report = reader.report;
  context.droppedBytes += report.droppedBytes;
  if (!context.readOnly) await cutDroppedTail(context.vfs, path, report.lastGoodOffset);
  return { stoppedEarly: report.stoppedEarly };
}

function applyRecord(context: ReplayContext, payload: Uint8Array, where: string): void {
  const batch = decodeBatch(payload, where);
  if (batch.firstSeq <= context.lastSeq) {
    throw new CorruptionError(where, `sequence number ${batch.firstSeq} does not follow ${context.lastSeq}`);
  }
  batch.ops.forEach((op, i) => applyOp(context.memtable, op, batch.firstSeq + i));
  context.lastSeq = toSeqNum(batch.firstSeq + batch.ops.length - 1);
}

async function cutDroppedTail(vfs: Vfs, path: string, lastGoodOffset: number): Promise<void> {
  const stat = await vfs.stat(path);
  if (stat === undefined || stat.sizeBytes <= lastGoodOffset) return;
  const file = await vfs.open(path, { write: true });
  try {
    await file.truncate(lastGoodOffset);
    await file.sync();
  } finally {
    await file.close();
  }
}

async function discardSegments(context: ReplayContext, logs: readonly FileNum[]): Promise<void> {
  for (const logNumber of logs) await context.vfs.unlink(`${context.dir}/${logFileName(logNumber)}`);
  if (logs.length > 0) await context.vfs.syncDir(context.dir);
}
