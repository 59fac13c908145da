// Measures what opening a manifest costs in CPU: `readManifest` of a manifest of edits like
// the engine's (each flush adds one file with 16-byte keys; once `--live` files exist, each
// edit also removes the oldest), written to a temporary directory on the real file system.
// Prints the manifest's size and edit count, the first replay and the median of ten more.
//
// Run: (cd packages/manifest && npx tsc -b) && node packages/manifest/bench/replay.mjs [--bytes N] [--live N]
// Defaults: --bytes 65536 --live 20. `--live 3000` puts the files in level 1 (a large version).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeVfs } from '@kv/vfs';
import { Manifest, Version, readManifest } from '../dist/index.js';

const flag = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at < 0 ? fallback : Number(process.argv[at + 1]);
};
const targetBytes = flag('--bytes', 65_536);
const liveFiles = flag('--live', 20);
const level = liveFiles > 100 ? 1 : 0;
const dir = mkdtempSync(join(tmpdir(), 'kv-manifest-replay-'));
const vfs = new NodeVfs();
const key = (n) => new TextEncoder().encode(String(n).padStart(16, '0'));

try {
  const version = Version.empty().apply({ options: { pageSizeBytes: 4096 }, nextFileNumber: 2, logNumber: 0, lastSequence: 0 });
  const manifest = await Manifest.create(vfs, dir, { manifestNumber: 1, version, rolloverBytes: 1 << 30 });
  const live = [];
  let seq = 0;
  while (manifest.sizeBytes < targetBytes) {
    const fileNumber = manifest.allocateFileNumber();
    const low = level === 0 ? (fileNumber * 7919) % 1_000_000 : fileNumber * 2000;
    const file = { level, fileNumber, sizeBytes: 1 << 20, smallestKey: key(low), largestKey: key(low + 1000), seqMin: seq + 1, seqMax: seq + 1000, entryCount: 1000, tombstoneCount: 0 };
    seq += 1000;
    const removed = live.length > liveFiles ? [live.shift()] : [];
    await manifest.logAndApply({ lastSequence: seq, addedFiles: [file], removedFiles: removed.map((f) => ({ level: f.level, fileNumber: f.fileNumber })) });
    live.push(file);
  }
  await manifest.close();
  let started = performance.now();
  const first = await readManifest(vfs, dir);
  const firstMs = performance.now() - started;
  const times = [];
  for (let i = 0; i < 10; i++) {
    started = performance.now();
    await readManifest(vfs, dir);
    times.push(performance.now() - started);
  }
  times.sort((a, b) => a - b);
  console.log(`${first.fileBytes} bytes, ${first.report.records} edits, ${first.version.files().length} live files: first replay ${firstMs.toFixed(1)} ms, median ${times[5].toFixed(1)} ms`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
