import { describe, expect, it } from 'vitest';
import { KvLevel } from '@kv/level';
import { tempLocations } from './support/temp-locations.js';

const nextLocation = tempLocations();

describe('KvLevel review regressions', () => {
  it('clear({ limit: 1 }) deletes one key even when a put issued before it is still in flight', async () => {
    const db = new KvLevel(nextLocation());
    await db.open();
    await db.put('b', 'B');
    // abstract-level orders these operations: put('a') first, then a clear of the first key.
    const put = db.put('a', 'A');
    const clear = db.clear({ limit: 1 });
    await Promise.all([put, clear]);
    const left = await db.keys().all();
    expect(left.length).toBe(1); // classic-level leaves one of 'a', 'b', and so does KvLevel
    await db.close();
  });
});
