/**
 * Shared test helpers: arbitraries for edits and files, a fresh database directory in a
 * MemoryVfs, a generator of valid edit sequences (a tiny LSM: flushes, compactions, moves),
 * and one-line file damage.
 */
import { compareBytes, toSeqNum } from '@kv/base';
import type { RangeTombstone } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import fc from 'fast-check';
import { LEVEL_COUNT, Version } from '../src/index.js';
import type { DatabaseOptionsRecord, Manifest, TableFileMeta, VersionEdit } from '../src/index.js';

export const DIR = '/db';

/** A MemoryVfs holding an empty, durable `/db`. */
export async function newDbVfs(): Promise<MemoryVfs> {
  const vfs = new MemoryVfs();
  await vfs.mkdir(DIR);
  await vfs.syncDir('/');
  return vfs;
}

export const OPTIONS: DatabaseOptionsRecord = { pageSizeBytes: 4096, fixedWidth: { keySize: 16, valueSize: 100 } };

/** The version a new database starts with: manifest 1, WAL 2, next number 3. */
export function initialVersion(): Version {
  return Version.empty().apply({ options: OPTIONS, logNumber: 2, nextFileNumber: 3, lastSequence: 0 });
}

const text = new TextEncoder();
export const key = (value: string): Uint8Array => text.encode(value);

/** A valid file description with defaults; keys are strings for readability. */
export function file(fields: { level: number; fileNumber: number; smallest?: string; largest?: string; sizeBytes?: number }): TableFileMeta {
  return {
    level: fields.level,
    fileNumber: fields.fileNumber,
    sizeBytes: fields.sizeBytes ?? 1000 + fields.fileNumber,
    smallestKey: key(fields.smallest ?? 'a'),
    largestKey: key(fields.largest ?? 'z'),
    seqMin: 1,
    seqMax: 10,
    entryCount: 10,
    tombstoneCount: 2,
  };
}

const count = fc.oneof(fc.nat({ max: 300 }), fc.constantFrom(0, 127, 128, 16_383, 16_384, Number.MAX_SAFE_INTEGER), fc.maxSafeNat());
const keyArb = fc.uint8Array({ maxLength: 24 });

export const tableFileArb: fc.Arbitrary<TableFileMeta> = fc
  .record({
    level: fc.integer({ min: 0, max: LEVEL_COUNT - 1 }),
    fileNumber: count,
    sizeBytes: count,
    keys: fc.tuple(keyArb, keyArb),
    seqs: fc.tuple(count, count),
    counts: fc.tuple(count, count),
  })
  .map(({ level, fileNumber, sizeBytes, keys, seqs, counts }) => {
    const [smallestKey, largestKey] = compareBytes(keys[0], keys[1]) <= 0 ? keys : [keys[1], keys[0]];
    return {
      level,
      fileNumber,
      sizeBytes,
      smallestKey,
      largestKey,
      seqMin: Math.min(...seqs),
      seqMax: Math.max(...seqs),
      entryCount: Math.max(...counts),
      tombstoneCount: Math.min(...counts),
    };
  });

const optionsArb: fc.Arbitrary<DatabaseOptionsRecord> = fc.oneof(
  fc.record({ pageSizeBytes: count }),
  fc.record({ pageSizeBytes: count, fixedWidth: fc.record({ keySize: count, valueSize: count }) }),
);

/** A range tombstone with a bounded or unbounded end. */
export const rangeTombstoneArb: fc.Arbitrary<RangeTombstone> = fc.record({
  start: fc.uint8Array({ maxLength: 24 }),
  end: fc.option(fc.uint8Array({ maxLength: 24 }), { nil: undefined }),
  seq: count.filter((seq) => seq >= 1).map(toSeqNum),
});

/** Any edit the encoder accepts. Lists are absent or non-empty (decoding drops empty ones). */
export const versionEditArb: fc.Arbitrary<VersionEdit> = fc.record(
  {
    logNumber: count,
    nextFileNumber: count,
    lastSequence: count,
    options: optionsArb,
    addedFiles: fc.array(tableFileArb, { minLength: 1, maxLength: 5 }),
    removedFiles: fc.array(fc.record({ level: fc.integer({ min: 0, max: LEVEL_COUNT - 1 }), fileNumber: count }), { minLength: 1, maxLength: 5 }),
    removedRangeTombstones: fc.array(count.filter((seq) => seq >= 1), { minLength: 1, maxLength: 3 }),
    addedRangeTombstones: fc.array(rangeTombstoneArb, { minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: [] },
);

/** One step of the tiny LSM the edit scripts simulate. */
export type LsmStep =
  | { kind: 'flush'; keys: [number, number] }
  | { kind: 'compact' }
  | { kind: 'move'; pick: number }
  | { kind: 'newLog' };

export const lsmStepArb: fc.Arbitrary<LsmStep> = fc.oneof(
  { weight: 4, arbitrary: fc.tuple(fc.nat({ max: 99 }), fc.nat({ max: 99 })).map(([a, b]): LsmStep => ({ kind: 'flush', keys: [Math.min(a, b), Math.max(a, b)] })) },
  { weight: 2, arbitrary: fc.constant<LsmStep>({ kind: 'compact' }) },
  { weight: 2, arbitrary: fc.nat({ max: 50 }).map((pick): LsmStep => ({ kind: 'move', pick })) },
  { weight: 1, arbitrary: fc.constant<LsmStep>({ kind: 'newLog' }) },
);

const keyOf = (n: number): Uint8Array => key(`k${String(n).padStart(3, '0')}`);

/** Logs the edit of each step in turn (`editFor`); the versions after each. */
export async function logSteps(manifest: Manifest, steps: readonly LsmStep[]): Promise<Version[]> {
  const versions: Version[] = [];
  for (const step of steps) {
    versions.push(await manifest.logAndApply(editFor(manifest.current, step, () => manifest.allocateFileNumber())));
  }
  return versions;
}

/**
 * Turns `step` into an edit that applies to `version`. Numbers come from `allocate`. Every
 * edit advances `lastSequence`, so the versions of a script are all different.
 */
export function editFor(version: Version, step: LsmStep, allocate: () => number): VersionEdit {
  const lastSequence = version.lastSequence + 1;
  if (step.kind === 'flush') {
    const [low, high] = step.keys;
    return { lastSequence, addedFiles: [tableFile({ level: 0, fileNumber: allocate(), smallestKey: keyOf(low), largestKey: keyOf(high), seq: lastSequence })] };
  }
  if (step.kind === 'newLog') return { lastSequence, logNumber: allocate() };
  if (step.kind === 'move') return moveEdit(version, step.pick, lastSequence) ?? { lastSequence };
  return compactEdit(version, allocate, lastSequence);
}

function tableFile(fields: { level: number; fileNumber: number; smallestKey: Uint8Array; largestKey: Uint8Array; seq: number }): TableFileMeta {
  const { level, fileNumber, smallestKey, largestKey, seq } = fields;
  return { level, fileNumber, sizeBytes: 100 + fileNumber, smallestKey, largestKey, seqMin: seq, seqMax: seq, entryCount: 3, tombstoneCount: 1 };
}

/** Merges every level-0 file and the level-1 files they overlap into one level-1 file. */
function compactEdit(version: Version, allocate: () => number, lastSequence: number): VersionEdit {
  const inputs = version.levels[0] ?? [];
  if (inputs.length === 0) return { lastSequence };
  let low = inputs[0]?.smallestKey ?? new Uint8Array();
  let high = inputs[0]?.largestKey ?? new Uint8Array();
  for (const input of inputs) {
    if (compareBytes(input.smallestKey, low) < 0) low = input.smallestKey;
    if (compareBytes(input.largestKey, high) > 0) high = input.largestKey;
  }
  const overlapped = (version.levels[1] ?? []).filter((f) => compareBytes(f.largestKey, low) >= 0 && compareBytes(f.smallestKey, high) <= 0);
  for (const f of overlapped) {
    if (compareBytes(f.smallestKey, low) < 0) low = f.smallestKey;
    if (compareBytes(f.largestKey, high) > 0) high = f.largestKey;
  }
  const removedFiles = [...inputs, ...overlapped].map((f) => ({ level: f.level, fileNumber: f.fileNumber }));
  const output = tableFile({ level: 1, fileNumber: allocate(), smallestKey: low, largestKey: high, seq: lastSequence });
  return { lastSequence, removedFiles, addedFiles: [output] };
}

/** Moves one file of a level >= 1 one level down when nothing there overlaps it. */
function moveEdit(version: Version, pick: number, lastSequence: number): VersionEdit | undefined {
  const candidates = version.levels.slice(1, LEVEL_COUNT - 1).flat();
  const chosen = candidates[pick % Math.max(1, candidates.length)];
  if (chosen === undefined) return undefined;
  const below = version.levels[chosen.level + 1] ?? [];
  const overlaps = below.some((f) => compareBytes(f.largestKey, chosen.smallestKey) >= 0 && compareBytes(f.smallestKey, chosen.largestKey) <= 0);
  if (overlaps) return undefined;
  return {
    lastSequence,
    removedFiles: [{ level: chosen.level, fileNumber: chosen.fileNumber }],
    addedFiles: [{ ...chosen, level: chosen.level + 1 }],
  };
}

/** The parts of a version that must survive a crash exactly (`nextFileNumber` may grow). */
export function stateOf(version: Version): VersionEdit {
  const { nextFileNumber: _ignored, ...rest } = version.snapshot();
  return rest;
}

/** XORs the byte at `offset` of the file at `path` with `mask`. */
export async function flipByte(vfs: MemoryVfs, path: string, options: { offset: number; mask?: number }): Promise<void> {
  const bytes = await vfs.readFile(path);
  bytes[options.offset] = (bytes[options.offset] ?? 0) ^ (options.mask ?? 0xff);
  await replaceFile(vfs, path, bytes);
}

/** Replaces the content of `path` (creating it) with `bytes`, synced. */
export async function replaceFile(vfs: MemoryVfs, path: string, bytes: Uint8Array): Promise<void> {
  const handle = await vfs.open(path, { create: true });
  await handle.truncate(0);
  await handle.write({ data: bytes, position: 0 });
  await handle.sync();
  await handle.close();
}

/** Returns the error `promise` rejects with, or fails when it resolves. */
export async function errorOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
}
