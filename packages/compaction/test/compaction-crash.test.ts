import { TableReader } from '@kv/sstable';
import { MemoryVfs } from '@kv/vfs';
import type { MemoryOperation } from '@kv/vfs';
import { describe, expect, it } from 'vitest';
import { runCompaction, tableFileName } from '../src/index.js';
import type { CompactionJobInput } from '../src/index.js';
import { DIR, buildInput, del, expectSameFiles, put } from './helpers.js';

interface CrashPoint {
  operation: MemoryOperation;
  mode: string;
  image: MemoryVfs;
}

describe('runCompaction under power loss', () => {
  it('leaves the inputs untouched and every finished, dir-synced output complete at every operation', async () => {
    // Goal: a crash anywhere inside a compaction job never damages what the manifest references
    // and never leaves a half-written file that looks finished.
    // Strategy: three level-0 inputs (overwrites and deletes across them) on a MemoryVfs whose
    // directory is durable; run the job with small pages and a small target so it writes
    // several outputs in slices; after every file-system operation take a power-loss image and
    // two torn images (seeded by the operation's index).
    // Invariants, in each image: every input file has exactly its original bytes; every output
    // whose `sync` (from `finish`) and a later directory sync had both happened holds exactly
    // the bytes the finished job wrote and opens and verifies as a page file. Other outputs may
    // be present (empty or partial): they are orphans for the engine to delete.
    const vfs = new MemoryVfs();
    await vfs.mkdir(DIR);
    await vfs.syncDir('/');
    const entries = Array.from({ length: 2400 }, (_, i) => put(`k${String(i % 800).padStart(4, '0')}`, i + 1, `value-${i}-${'p'.repeat(i % 50)}`));
    const groups = [entries.slice(0, 800), entries.slice(800, 1600), [...entries.slice(1600, 2200), ...Array.from({ length: 100 }, (_, i) => del(`k${String(i * 7).padStart(4, '0')}`, 2401 + i))]];
    const inputs = [];
    for (const [i, group] of groups.entries()) inputs.push(await buildInput(vfs, { fileNumber: i + 1, level: 0, entries: group }));
    await vfs.syncDir(DIR);
    const originals = vfs.snapshotFiles();

    const points: CrashPoint[] = [];
    const log: MemoryOperation[] = [];
    const stop = vfs.onOperation((operation) => {
      log.push(operation);
      points.push({ operation, mode: 'power-loss', image: vfs.crashImage({ mode: 'power-loss' }) });
      for (const seed of [operation.index, operation.index * 7919 + 1]) points.push({ operation, mode: `torn(${seed})`, image: vfs.crashImage({ mode: 'torn', seed }) });
    });
    const input: CompactionJobInput = {
      dir: DIR,
      plan: { inputLevel: 0, outputLevel: 1, inputs, overlaps: [], bottommost: true, reason: 'level0' },
      outputFileNumbers: [10, 11, 12, 13, 14, 15, 16, 17, 18, 19],
      snapshots: [900],
      build: { pageSizeBytes: 1024, compression: 'lz4', bloomBitsPerKey: 10 },
      targetFileSizeBytes: 8192,
    };
    const result = await runCompaction(vfs, input);
    stop();
    expect(result.added.length).toBeGreaterThanOrEqual(3);
    const finalFiles = vfs.snapshotFiles();

    let checkedOutputs = 0;
    for (const point of points) {
      const label = `${point.mode} after operation ${point.operation.index} (${point.operation.kind} ${point.operation.path})`;
      const imageFiles = point.image.snapshotFiles();
      for (const input of inputs) {
        const path = `${DIR}/${tableFileName(input.fileNumber)}`;
        expect(Buffer.from(imageFiles.get(path) ?? []).equals(Buffer.from(originals.get(path) ?? [1])), `${label}: input ${path}`).toBe(true);
      }
      for (const output of result.added) {
        const path = `${DIR}/${tableFileName(output.fileNumber)}`;
        if (!isDurable(log, path, point.operation.index)) continue;
        checkedOutputs++;
        expect(Buffer.from(imageFiles.get(path) ?? []).equals(Buffer.from(finalFiles.get(path) ?? [1])), `${label}: output ${path}`).toBe(true);
        const reader = await TableReader.open(point.image, path, { fileNumber: output.fileNumber, expectedSizeBytes: output.sizeBytes });
        await reader.verify();
        await reader.close();
      }
    }
    expect(checkedOutputs).toBeGreaterThan(0);
    expectSameFiles(new Map([...finalFiles].filter(([path]) => originals.has(path))), originals);
  });
});

/** Whether, by operation `index`, `path` was synced and its directory synced after its creation. */
function isDurable(log: readonly MemoryOperation[], path: string, index: number): boolean {
  const upTo = log.filter((operation) => operation.index <= index);
  const created = upTo.find((operation) => operation.kind === 'create' && operation.path === path);
  if (created === undefined) return false;
  const synced = upTo.some((operation) => operation.kind === 'sync' && operation.path === path);
  const dirSynced = upTo.some((operation) => operation.kind === 'syncDir' && operation.path === DIR && operation.index > created.index);
  return synced && dirSynced;
}
