/**
 * Applying a batch payload to a memtable, read in place: each operation's key and value are
 * passed as offsets into the payload (`Memtable.addRange`), so the write path makes no view and
 * no object per operation, and a memtable with `referenceBytes` references the bytes where
 * they lie.
 */
import { toSeqNum } from '@kv/base';
import type { Memtable } from '@kv/memtable';
import { BatchCursor } from './batch-codec.js';
import { OpKind } from './write-op.js';

/**
 * Adds every operation of `payload` (its sequence number set) to `memtable`; returns how many
 * there were. The payload is checked as it is read (CORRUPTION against `where`), so use it for
 * payloads the engine made; a replayed record is decoded whole first (`decodeBatch`).
 */
export function applyBatch(memtable: Memtable, payload: Uint8Array, where: string): number {
  const cursor = new BatchCursor(payload, where);
  const firstSeq = cursor.firstSeq;
  while (cursor.next()) {
    const seq = toSeqNum(firstSeq + cursor.index);
    const keyStart = cursor.keyStart;
    const keyEnd = keyStart + cursor.keyLength;
    if (cursor.kind === OpKind.RangeDelete) {
      const end = cursor.endLength < 0 ? undefined : payload.subarray(cursor.endStart, cursor.endStart + cursor.endLength);
      memtable.addRangeTombstone({ start: payload.subarray(keyStart, keyEnd), end, seq });
    } else {
      memtable.addRange(payload, keyStart, cursor.keyLength, seq, cursor.kind, cursor.valueStart, cursor.valueLength);
    }
  }
  return cursor.count;
}
