// Measures the memory a memtable entry costs as the engine builds it, beyond the key and value
// bytes: the engine's memtables reference keys and values where they lie in batch payloads
// (`referenceBytes`), which `dataBytes` counts. V8 heap plus array buffers before and after
// filling a table from a payload made beforehand, per entry.
// ENGINE_ENTRY_OVERHEAD_BYTES in src/memory-plan.ts comes from this. Run after `pnpm build`:
//   node --expose-gc packages/db/scripts/measure-entry-overhead.mjs [entries, default 200000]
import { Memtable } from '@kv/memtable';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const entries = Number(process.argv[2] ?? 200_000);
const keyBytes = 16;
const valueBytes = 100;
const stride = keyBytes + valueBytes + 4;
// One payload here; the engine's are 64 KiB chunks, a few hundred buffers per memtable.
const payload = new Uint8Array(entries * stride);
const used = () => {
  globalThis.gc();
  globalThis.gc();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
};
const before = used();
const table = new Memtable({ referenceBytes: true });
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
const perEntry = (used() - before) / entries;
// Reading the table here keeps it alive through the measurement.
console.log(`memory per entry beyond its key and value bytes: ${perEntry.toFixed(0)} bytes (${table.entryCount} entries)`);
