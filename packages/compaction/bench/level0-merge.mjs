// A level-0 compaction as the engine runs one under random writes: four level-0 files of 74,000
// random keys each over five level-1 files holding 370,000 others (the benchmark's 16-byte
// zero-padded decimal keys, 100-byte values, 4 KiB pages), inline on this thread. Prints the
// time of each round and the microseconds per input entry.
// Usage, after `pnpm build`: node packages/compaction/bench/level0-merge.mjs [rounds]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryKind, setInvariantsEnabled, toSeqNum } from '@kv/base';
import { nodeVfs } from '@kv/vfs';
import { TableBuilder } from '@kv/sstable';
import { runCompaction } from '../dist/index.js';

setInvariantsEnabled(false);
const rounds = Number(process.argv[2] ?? 6);
const dir = await mkdtemp(join(tmpdir(), 'kv-level0-merge-'));
const keyOf = (i) => {
  const key = new Uint8Array(16);
  let rest = 2 * i;
  for (let p = 15; p >= 0; p--) {
    key[p] = 0x30 + (rest % 10);
    rest = Math.floor(rest / 10);
  }
  return key;
};
let state = 301;
const random = () => {
  state ^= state << 13;
  state ^= state >>> 17;
  state ^= state << 5;
  return state >>> 0;
};
const value = new Uint8Array(100);
for (let i = 0; i < 100; i++) value[i] = i < 50 ? 32 + (random() % 95) : value[i - 50];
let seq = 1;
let fileNumber = 1;
async function writeFile(level, keys) {
  keys.sort((a, b) => a - b);
  const number = fileNumber++;
  const builder = await TableBuilder.create(nodeVfs, join(dir, `${String(number).padStart(6, '0')}.sst`), { pageSizeBytes: 4096 });
  for (const k of keys) {
    builder.add(keyOf(k), toSeqNum(seq++), EntryKind.Put, value);
    if (builder.pendingBytes > 262144) await builder.writePending();
  }
  const p = await builder.finish();
  return { level, fileNumber: number, sizeBytes: p.fileSizeBytes, smallestKey: p.smallestKey, largestKey: p.largestKey, seqMin: p.seqMin, seqMax: p.seqMax, entryCount: p.entryCount, tombstoneCount: 0 };
}
const distinct = (count) => {
  const keys = new Set();
  while (keys.size < count) keys.add(random() % 1000000);
  return [...keys];
};
const level1 = distinct(370000).sort((a, b) => a - b);
const overlaps = [];
for (let f = 0; f < 5; f++) overlaps.push(await writeFile(1, level1.slice(f * 74000, (f + 1) * 74000)));
const inputs = [];
for (let f = 0; f < 4; f++) inputs.push(await writeFile(0, distinct(74000)));
inputs.reverse(); // newest first, as the picker lists level 0
const entriesIn = 370000 + 4 * 74000;
for (let round = 0; round < rounds; round++) {
  const started = performance.now();
  const result = await runCompaction(nodeVfs, {
    dir, plan: { inputLevel: 0, outputLevel: 1, inputs, overlaps, bottommost: true, reason: 'level0' },
    outputFileNumbers: Array.from({ length: 60 }, (_, i) => 1000 + round * 100 + i), snapshots: [],
    build: { pageSizeBytes: 4096, compression: 'none', bloomBitsPerKey: 10 }, targetFileSizeBytes: 4 << 20,
  });
  const ms = performance.now() - started;
  console.log(`round ${round}: ${ms.toFixed(0)} ms, ${((ms * 1000) / entriesIn).toFixed(3)} µs per input entry, ${result.entriesOut} entries out in ${result.added.length} files`);
  for (const file of result.added) await rm(join(dir, `${String(file.fileNumber).padStart(6, '0')}.sst`));
}
await rm(dir, { recursive: true, force: true });
