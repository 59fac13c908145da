/**
 * The machine's own limits, measured in the same run as the engines (in a child of its own,
 * with synchronous calls and no engine in the way): sequential write bandwidth with a final
 * fsync, fdatasync latency after a small append, random 4 KiB reads from the page cache, and
 * memcpy bandwidth. The report turns them into a "physical limit" per workload.
 */
import { closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { LatencyHistogram } from './latency-histogram.js';
import { SeededRandom } from './rng.js';

export interface MachineLimits {
  sequentialWriteMBps: number;
  fdatasyncP50Us: number;
  fdatasyncPerSec: number;
  cachedRandomReadsPerSec: number;
  memcpyGBps: number;
}

const MIB = 1024 * 1024;
const PAGE_BYTES = 4096;

/** Measures in `dir` (on the disk the engines use); `seconds` bounds each of the four tests. */
export function measureMachineLimits(dir: string, seconds: number): MachineLimits {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'limits.bin');
  try {
    const sequentialWriteMBps = sequentialWrite(file, seconds >= 5 ? 256 * MIB : 32 * MIB);
    const sync = fdatasyncLatency(join(dir, 'sync.bin'), seconds);
    return {
      sequentialWriteMBps,
      fdatasyncP50Us: sync.p50Us,
      fdatasyncPerSec: sync.perSec,
      cachedRandomReadsPerSec: cachedRandomReads(file, seconds),
      memcpyGBps: memcpy(seconds),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sequentialWrite(file: string, totalBytes: number): number {
  const chunk = Buffer.alloc(MIB, 0x5a);
  const fd = openSync(file, 'w');
  const start = process.hrtime.bigint();
  for (let written = 0; written < totalBytes; written += chunk.length) writeSync(fd, chunk);
  fsyncSync(fd);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  closeSync(fd);
  return totalBytes / MIB / seconds;
}

function fdatasyncLatency(file: string, seconds: number): { p50Us: number; perSec: number } {
  const record = Buffer.alloc(128, 0x61);
  const fd = openSync(file, 'a');
  const histogram = new LatencyHistogram();
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(Math.min(seconds, 3) * 1e9));
  let now = start;
  while (now < deadline && histogram.count < 5000) {
    const before = now;
    writeSync(fd, record);
    fdatasyncSync(fd);
    now = histogram.recordSince(before);
  }
  closeSync(fd);
  const elapsed = Number(now - start) / 1e9;
  return { p50Us: histogram.summary().p50Us, perSec: histogram.count / elapsed };
}

/** Random 4 KiB preads of the file just written, which the page cache still holds. */
function cachedRandomReads(file: string, seconds: number): number {
  const fd = openSync(file, 'r');
  const page = Buffer.alloc(PAGE_BYTES);
  const size = 32 * MIB;
  const random = new SeededRandom(7);
  for (let offset = 0; offset < size; offset += MIB) readSync(fd, Buffer.alloc(MIB), 0, MIB, offset);
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(Math.min(seconds, 2) * 1e9));
  let reads = 0;
  while ((reads & 255) !== 0 || process.hrtime.bigint() < deadline) {
    readSync(fd, page, 0, PAGE_BYTES, random.nextBelow(size / PAGE_BYTES) * PAGE_BYTES);
    reads++;
  }
  closeSync(fd);
  return reads / (Number(process.hrtime.bigint() - start) / 1e9);
}

function memcpy(seconds: number): number {
  const source = Buffer.alloc(64 * MIB, 1);
  const target = Buffer.alloc(64 * MIB);
  const start = process.hrtime.bigint();
  const deadline = start + BigInt(Math.round(Math.min(seconds, 1) * 1e9));
  let copies = 0;
  while (copies === 0 || process.hrtime.bigint() < deadline) {
    source.copy(target);
    copies++;
  }
  return (copies * source.length) / 1e9 / (Number(process.hrtime.bigint() - start) / 1e9);
}
