/**
 * Bytes a database directory occupies on disk: allocated blocks (`st_blocks` × 512), not
 * apparent sizes, so sparse or preallocated files (LMDB's map, WAL preallocation) count for
 * what they really take.
 */
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export function diskUsageBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) total += diskUsageBytes(path);
    else if (entry.isFile()) total += statSync(path).blocks * 512;
  }
  return total;
}
