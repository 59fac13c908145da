// Measures the heap a memtable entry costs as the engine builds it (an entry object in a
// leaf, with its key and value as views into a batch payload), beyond the key and value
// bytes, which the payload holds. ENGINE_ENTRY_OVERHEAD_BYTES in src/memory-plan.ts comes
// from this. Run after `pnpm build`:  node --expose-gc packages/db/scripts/measure-entry-overhead.mjs
import { Memtable } from '@kv/memtable';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const entries = 200_000;
const keyBytes = 16;
const valueBytes = 100;
const stride = keyBytes + valueBytes + 4;
const payload = new Uint8Array(entries * stride);
globalThis.gc();
const before = process.memoryUsage().heapUsed;
const table = new Memtable();
for (let i = 0; i < entries; i++) {
  const at = i * stride;
  // Distinct keys in a scattered order, as random writes arrive.
  const k = (i * 2654435761) >>> 0;
  payload[at] = k >>> 24;
  payload[at + 1] = (k >>> 16) & 0xff;
  payload[at + 2] = (k >>> 8) & 0xff;
  payload[at + 3] = k & 0xff;
  table.add(payload.subarray(at, at + keyBytes), i + 1, 1, payload.subarray(at + keyBytes, at + keyBytes + valueBytes));
}
globalThis.gc();
const perEntry = (process.memoryUsage().heapUsed - before) / entries;
// Reading the table here keeps it alive through the measurement.
console.log(`heap per entry beyond its key and value bytes: ${perEntry.toFixed(0)} bytes (${table.entryCount} entries)`);
