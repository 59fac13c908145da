// Measures the shipped Memtable (compiled dist/) on the structures.mjs workload, and the memory
// an entry costs with its own key and value arrays, which this script keeps for its gets (the
// table's part alone is what bench/entry-overhead.mjs measures).
//
// Run: npx tsc -b packages/memtable && node --expose-gc packages/memtable/bench/memtable.mjs [entryCount]

import { ENTRY_OVERHEAD_BYTES, Memtable } from '../dist/index.js';

const ENTRY_COUNT = Number(process.argv[2] ?? 1_000_000);
const KEY_BYTES = 16;
const VALUE_BYTES = 100;
const PUT = 1;

if (typeof globalThis.gc !== 'function') {
  console.error('run with node --expose-gc');
  process.exit(1);
}

function memoryNow() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

let rngState = 0x9e3779b9;
function randomByte() {
  rngState ^= rngState << 13; rngState ^= rngState >>> 17; rngState ^= rngState << 5;
  return rngState & 0xff;
}

function timeNs(fn) {
  const start = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - start) / ENTRY_COUNT;
}

const keys = new Array(ENTRY_COUNT).fill(null);
const values = new Array(ENTRY_COUNT).fill(null);
const source = new Uint8Array(KEY_BYTES + VALUE_BYTES);
let table = new Memtable();
const base = memoryNow();
// As the engine does for a put: copy key and value out of the caller's bytes with slice().
const insertRandom = timeNs(() => {
  for (let i = 0; i < ENTRY_COUNT; i++) {
    for (let j = 0; j < KEY_BYTES; j++) source[j] = randomByte();
    const key = source.slice(0, KEY_BYTES);
    const value = source.slice(KEY_BYTES);
    keys[i] = key;
    values[i] = value;
    table.add(key, i + 1, PUT, value);
  }
});
const measured = (memoryNow() - base) / ENTRY_COUNT - KEY_BYTES - VALUE_BYTES - 16; // minus the two test arrays
const order = Array.from({ length: ENTRY_COUNT }, (_, i) => (i * 7919) % ENTRY_COUNT);
let found = 0;
const get = timeNs(() => {
  for (let i = 0; i < ENTRY_COUNT; i++) if (table.get(keys[order[i]], Number.MAX_SAFE_INTEGER) !== undefined) found++;
});
if (found !== ENTRY_COUNT) throw new Error(`found ${found}`);
let bytes = 0;
const iterate = timeNs(() => {
  const it = table.iterator();
  for (it.seekToFirst(); it.valid; it.next()) bytes += it.entry.key.length + it.entry.value.length;
});
if (bytes !== table.dataBytes) throw new Error('iteration bytes');
table = new Memtable();
const sequential = keys.map((_, i) => { const k = new Uint8Array(KEY_BYTES); new DataView(k.buffer).setUint32(12, i); return k; });
const insertSequential = timeNs(() => {
  for (let i = 0; i < ENTRY_COUNT; i++) table.add(sequential[i], i + 1, PUT, values[i]);
});

console.log(`node ${process.version}, ${ENTRY_COUNT} entries, ${KEY_BYTES}-byte keys, ${VALUE_BYTES}-byte values`);
console.log('| insert random ns/op (incl. 2 slices) | insert sequential ns/op | get ns/op | iterate ns/entry | measured B/entry incl. the two arrays | ENTRY_OVERHEAD_BYTES |');
console.log('| ---: | ---: | ---: | ---: | ---: | ---: |');
const f = (x) => x.toFixed(0);
console.log(`| ${f(insertRandom)} | ${f(insertSequential)} | ${f(get)} | ${iterate.toFixed(1)} | ${f(measured)} | ${ENTRY_OVERHEAD_BYTES} |`);
