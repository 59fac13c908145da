// Measures @kv/sstable (compiled dist/) on 1M entries of 16-byte random keys and 100-byte
// values, 4 KiB pages, block cache on: build rate, point reads (present and missing keys),
// full forward and backward scans. Real files through NodeVfs in the OS temp directory.
//
// Run: (cd packages/sstable && npx tsc -b) && node packages/sstable/bench/table.mjs [entryCount] [none|lz4]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setInvariantsEnabled } from '@kv/base';
import { nodeVfs } from '@kv/vfs';
import { BlockCache, TableBuilder, TableReader } from '../dist/index.js';

const ENTRY_COUNT = Number(process.argv[2] ?? 1_000_000);
const COMPRESSION = process.argv[3] ?? 'none';
const KEY_BYTES = 16;
const VALUE_BYTES = 100;
const PUT = 1;
setInvariantsEnabled(false);

let rngState = 0x9e3779b9;
function randomByte() {
  rngState ^= rngState << 13; rngState ^= rngState >>> 17; rngState ^= rngState << 5;
  return rngState & 0xff;
}

function nowNs() {
  return Number(process.hrtime.bigint());
}

function compare(a, b) {
  for (let i = 0; i < KEY_BYTES; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

// Sorted distinct keys; values are half random, half repeated text so lz4 has something to do.
const keys = [];
for (let i = 0; i < ENTRY_COUNT; i++) keys.push(Uint8Array.from({ length: KEY_BYTES }, randomByte));
keys.sort(compare);
const value = new Uint8Array(VALUE_BYTES);
const dir = mkdtempSync(join(tmpdir(), 'kv-sstable-bench-'));
const path = join(dir, '000001.sst');

try {
  let start = nowNs();
  const builder = await TableBuilder.create(nodeVfs, path, { pageSizeBytes: 4096, compression: COMPRESSION });
  for (let i = 0; i < ENTRY_COUNT; i++) {
    for (let j = 0; j < 50; j++) value[j] = randomByte();
    builder.add(keys[i], 1, PUT, value);
    if (builder.pendingBytes >= 256 * 1024) await builder.writePending();
  }
  const properties = await builder.finish();
  const buildNs = nowNs() - start;

  const cache = new BlockCache({ capacityBytes: 512 * 1024 * 1024 });
  const reader = await TableReader.open(nodeVfs, path, { fileNumber: 1, cache });
  const order = Array.from({ length: ENTRY_COUNT }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = (randomByte() << 16 | randomByte() << 8 | randomByte()) % (i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const timeGets = (label) => {
    start = nowNs();
    let found = 0;
    for (const i of order) if (reader.get(keys[i], Number.MAX_SAFE_INTEGER) !== undefined) found++;
    const ns = (nowNs() - start) / ENTRY_COUNT;
    console.log(`${label}: ${ns.toFixed(0)} ns/get (${found} found)`);
  };
  timeGets('get, cold cache (readSync + decode per miss)');
  timeGets('get, warm cache');
  const missing = keys.map((key) => { const copy = key.slice(); copy[KEY_BYTES - 1] ^= 0x01; return copy; });
  start = nowNs();
  let falsePositiveReads = 0;
  for (const key of missing) if (reader.get(key, Number.MAX_SAFE_INTEGER) !== undefined) falsePositiveReads++;
  console.log(`get missing key, warm cache: ${((nowNs() - start) / ENTRY_COUNT).toFixed(0)} ns/get (${falsePositiveReads} found)`);

  const it = reader.iterator();
  start = nowNs();
  let n = 0;
  let bytes = 0;
  for (it.seekToFirst(); it.valid; it.next()) { bytes += it.entry.value.length; n++; }
  let ns = nowNs() - start;
  console.log(`forward scan: ${(n / (ns / 1e9) / 1e6).toFixed(2)}M entries/s (${n} entries, ${bytes} value bytes)`);
  start = nowNs();
  n = 0;
  for (it.seekToLast(); it.valid; it.prev()) { bytes += it.entry.key.length; n++; }
  ns = nowNs() - start;
  console.log(`backward scan: ${(n / (ns / 1e9) / 1e6).toFixed(2)}M entries/s`);
  console.log(`build: ${(ENTRY_COUNT / (buildNs / 1e9) / 1e3).toFixed(0)}k entries/s; file ${properties.fileSizeBytes} bytes, ${properties.dataPageCount} data pages, raw ${properties.rawDataBytes} bytes (${COMPRESSION})`);
  console.log(`cache: ${JSON.stringify(cache.stats)}`);
  await reader.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
