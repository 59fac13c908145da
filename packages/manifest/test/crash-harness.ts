/**
 * Crash-test harness: records a crash image after every file-system operation of a run, then
 * reopens each image and checks what it recovered.
 */
import type { MemoryOperation, MemoryVfs } from '@kv/vfs';
import { expect } from 'vitest';
import { equalBytes } from '@kv/base';
import { Manifest, encodeVersionEdit, readCurrent } from '../src/index.js';
import type { Version } from '../src/index.js';
import { DIR, stateOf } from './helpers.js';

export interface CrashPoint {
  operation: MemoryOperation;
  mode: string;
  image: MemoryVfs;
  /** How many edits had been acknowledged when the operation ran (-1: create had not resolved). */
  acknowledged: number;
}

/**
 * Takes, after every operation of `vfs`, a power-loss image and two torn images (seeded by
 * the operation's index, so a failure reproduces). `acknowledged()` is read at that moment.
 */
export function recordCrashPoints(vfs: MemoryVfs, acknowledged: () => number): { points: CrashPoint[]; stop: () => void } {
  const points: CrashPoint[] = [];
  const stop = vfs.onOperation((operation) => {
    const at = acknowledged();
    points.push({ operation, mode: 'power-loss', image: vfs.crashImage({ mode: 'power-loss' }), acknowledged: at });
    for (const seed of [operation.index, operation.index * 7919 + 1]) {
      points.push({ operation, mode: `torn(${seed})`, image: vfs.crashImage({ mode: 'torn', seed }), acknowledged: at });
    }
  });
  return { points, stop };
}

/**
 * Reopens `point.image` and checks: it opens without error; once create had resolved it holds
 * a database; CURRENT names an existing manifest; the recovered state is that of `expected[j]`
 * for some j from `acknowledged` to `acknowledged + inFlight` (`expected[k]` is the version
 * after k edits, every edit raising `lastSequence` by one, so j is `lastSequence`); the
 * counter is past every number in use; and a power loss right after the open changes nothing.
 */
export async function checkCrashPoint(point: CrashPoint, expected: readonly Version[], inFlight = 1): Promise<void> {
  const label = `${point.mode} after operation ${point.operation.index} (${point.operation.kind} ${point.operation.path})`;
  const current = await readCurrent(point.image, DIR);
  if (current !== undefined) expect((await point.image.stat(`${DIR}/${current}`))?.isDirectory, label).toBe(false);
  const opened = await Manifest.open(point.image, DIR);
  if (opened === undefined) {
    expect(point.acknowledged, `${label}: no database`).toBe(-1);
    return;
  }
  const recovered = opened.version;
  const index = recovered.lastSequence;
  expect(index, label).toBeGreaterThanOrEqual(Math.max(0, point.acknowledged));
  expect(index, label).toBeLessThanOrEqual(point.acknowledged + inFlight);
  const want = expected[index];
  if (want === undefined) throw new Error(`${label}: no expected version ${index}`);
  expectSameState(recovered, want, label);
  checkCounter(opened.manifest, recovered, label);
  await opened.manifest.close();
  const again = await Manifest.open(point.image.crashImage({ mode: 'power-loss' }), DIR);
  if (again === undefined) throw new Error(`${label}: no database after a second crash`);
  expectSameState(again.version, want, `${label}: reopened after a second crash`);
  await again?.manifest.close();
}

/**
 * Compares through the canonical encoding: deep equality of large keys element by element
 * would dominate the run time. On a mismatch, `toEqual` shows the difference.
 */
function expectSameState(actual: Version, expected: Version, label: string): void {
  if (equalBytes(encodeVersionEdit(stateOf(actual)), encodeVersionEdit(stateOf(expected)))) return;
  expect(stateOf(actual), label).toEqual(stateOf(expected));
}

function checkCounter(manifest: Manifest, version: Version, label: string): void {
  expect(version.nextFileNumber, label).toBeGreaterThan(manifest.manifestNumber);
  for (const file of version.files()) {
    expect(file.fileNumber, label).toBeLessThan(version.nextFileNumber);
    expect(file.fileNumber, label).not.toBe(manifest.manifestNumber);
  }
}
