/**
 * `db.clear({ snapshot })`: deletes the keys of the range that the snapshot sees (within
 * `limit`, from the end `reverse` says), leaving keys written after the snapshot alone, as
 * abstract-level specifies. The keys are read from the snapshot and deleted in batches, so
 * this clear is not atomic (abstract-level does not require it to be); a clear without a
 * snapshot is one atomic engine `clear`.
 */
import type { DB } from '@kv/db';
import type { EngineReader } from './engine-reader.js';
import { READ_CHUNK_ENTRIES } from './engine-cursor.js';
import type { PrivateRangeOptions } from './private-options.js';
import { toEngineRange } from './range-options.js';

export async function clearFromSnapshot(engine: DB, snapshot: EngineReader, options: PrivateRangeOptions): Promise<void> {
  const iterator = snapshot.iterator(toEngineRange(options, { limit: options.limit, values: false }));
  try {
    for (;;) {
      const batch = iterator.read(READ_CHUNK_ENTRIES);
      if (batch.length === 0) return;
      await engine.write(batch.map(([key]) => ({ type: 'del', key })));
    }
  } finally {
    iterator.close();
  }
}
