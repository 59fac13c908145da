// Measures the memory a memtable entry costs beyond its key and value bytes
// (ENTRY_OVERHEAD_BYTES in src/memtable.ts): V8 heap plus array buffers with the filled table
// alive, minus the same after dropping it, less `dataBytes`, per entry. The table copies the
// keys and values (its default), so the copies are in the difference and the caller's arrays,
// kept alive throughout, are not. Run after `pnpm build`:
//   node --expose-gc packages/memtable/bench/entry-overhead.mjs [entries, default 200000]
import { Memtable } from '../dist/index.js';

if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');
const entries = Number(process.argv[2] ?? 200_000);
const keys = [];
const values = [];
for (let i = 0; i < entries; i++) {
  const key = new Uint8Array(16);
  // Distinct keys in a scattered order, as random writes arrive.
  const k = (i * 2654435761) >>> 0;
  key[0] = k >>> 24;
  key[1] = (k >>> 16) & 0xff;
  key[2] = (k >>> 8) & 0xff;
  key[3] = k & 0xff;
  keys.push(key);
  values.push(new Uint8Array(100));
}
const used = () => {
  globalThis.gc();
  globalThis.gc();
  const memory = process.memoryUsage();
  return memory.heapUsed + memory.arrayBuffers;
};
let table = new Memtable();
for (let i = 0; i < entries; i++) table.add(keys[i], i + 1, 1, values[i]);
const dataBytes = table.dataBytes;
const withTable = used();
table = undefined;
const perEntry = (withTable - used() - dataBytes) / entries;
console.log(`memory per entry beyond its key and value bytes: ${perEntry.toFixed(0)} bytes (${entries} entries, ${keys.length + values.length} caller arrays kept)`);
