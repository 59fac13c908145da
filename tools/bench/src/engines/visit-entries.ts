import type { KeyValue, ScanVisitor } from './engine-adapter.js';

/**
 * Steps through an engine's async iterator, calling `visit` per entry until it returns false
 * (the time cap); returns how many entries were visited.
 */
export async function visitEntries(entries: AsyncIterable<unknown>, visit: ScanVisitor): Promise<number> {
  let visited = 0;
  for await (const entry of entries) {
    void entry;
    visited++;
    if (!visit()) break;
  }
  return visited;
}

/** Entries as the put operations of an abstract-level style batch. */
export function putOps(entries: readonly KeyValue[]): { type: 'put'; key: Buffer; value: Buffer }[] {
  return entries.map((entry) => ({ type: 'put' as const, key: entry.key, value: entry.value }));
}
