// Compaction throughput, inline and in a worker (with the main thread's event-loop lag meanwhile).
// Usage, after `npx tsc -b` in this folder: node packages/compaction/bench/compaction.mjs [entryCount]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EntryKind, setInvariantsEnabled, toSeqNum } from '@kv/base';
import { nodeVfs } from '@kv/vfs';
import { TableBuilder } from '@kv/sstable';
import { runCompaction, CompactionWorkerPool } from '../dist/index.js';
setInvariantsEnabled(false);
const n = Number(process.argv[2] ?? 400000);
const dir = await mkdtemp(join(tmpdir(), 'kvb-'));
const enc = new TextEncoder();
const files = [];
for (let f = 0; f < 4; f++) {
  const b = await TableBuilder.create(nodeVfs, `${dir}/${String(f + 1).padStart(6, '0')}.sst`, { pageSizeBytes: 4096 });
  const value = new Uint8Array(100).fill(f);
  for (let i = f; i < n; i += 4) { b.add(enc.encode(`key${String(i).padStart(10, '0')}`), toSeqNum(i + 1), EntryKind.Put, value); if (b.pendingBytes > 262144) await b.writePending(); }
  const p = await b.finish();
  files.push({ level: 0, fileNumber: f + 1, sizeBytes: p.fileSizeBytes, smallestKey: p.smallestKey, largestKey: p.largestKey, seqMin: p.seqMin, seqMax: p.seqMax, entryCount: p.entryCount, tombstoneCount: 0 });
}
const job = (nums) => ({ dir, plan: { inputLevel: 0, outputLevel: 1, inputs: files, overlaps: [], bottommost: true, reason: 'level0' }, outputFileNumbers: nums, snapshots: [], build: { pageSizeBytes: 4096, compression: 'none', bloomBitsPerKey: 10 }, targetFileSizeBytes: 4 << 20 });
let t = performance.now();
let r = await runCompaction(nodeVfs, job(Array.from({ length: 40 }, (_, i) => 100 + i)));
console.log('inline', n, 'entries', (performance.now() - t).toFixed(0), 'ms', (n / (performance.now() - t) * 1000 / 1e6).toFixed(2), 'M entries/s', 'out', r.added.length, 'files', (r.bytesWritten / 1e6).toFixed(1), 'MB');
const pool = new CompactionWorkerPool();
// measure main-thread event-loop lag while the worker runs
let maxLag = 0; let last = performance.now();
const timer = setInterval(() => { const now = performance.now(); maxLag = Math.max(maxLag, now - last - 1); last = now; }, 1);
t = performance.now();
r = await pool.run(job(Array.from({ length: 40 }, (_, i) => 200 + i)));
clearInterval(timer);
console.log('worker', (performance.now() - t).toFixed(0), 'ms; max event-loop lag', maxLag.toFixed(1), 'ms');
await pool.close();
await rm(dir, { recursive: true, force: true });
