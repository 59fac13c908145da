/**
 * Open options: defaults, validation and the resolved form the engine uses. Unknown options
 * are ignored (forward compatibility, as classic-level does); a known option of the wrong
 * type or range is INVALID_ARGUMENT.
 */
import { InvalidArgumentError } from '@kv/base';
import { resolvePolicy } from '@kv/compaction';
import type { CompactionPolicy } from '@kv/compaction';
import { nodeVfs } from '@kv/vfs';
import type { Vfs } from '@kv/vfs';
import { BLOCKING_SYNC_MAX_MS_DEFAULT } from '@kv/wal';
import type { WalRecoveryMode } from '@kv/wal';
import { describe } from './input-bytes.js';
import { KEY_SIZE_MAX_BYTES, VALUE_SIZE_MAX_BYTES } from './limits.js';
import { planMemory } from './memory-plan.js';
import type { MemoryPlan } from './memory-plan.js';

export type Compression = 'none' | 'lz4';

export interface DbOptions {
  /** Create the database when the directory holds none. Default true. */
  createIfMissing?: boolean;
  /** Fail with INVALID_ARGUMENT when a database already exists. Default false. */
  errorIfExists?: boolean;
  /** Bytes for memtables and the block cache together. Default 64 MiB. */
  memoryBudget?: number;
  /** Memtable bytes (data plus per-entry overhead) before it is frozen and flushed.
   *  Default: a quarter of `memoryBudget`. */
  memtableSize?: number;
  /** Block cache bytes. Default: what the memtables leave of `memoryBudget`. 0 disables it. */
  cacheSize?: number;
  /** Page size of page files, a power of two from 1 KiB to 64 KiB. Fixed at creation. Default 4096. */
  pageSize?: number;
  /** LZ4 page compression: one setting for every level, or one per level (the last one
   *  applies to deeper levels). Default 'none'. */
  compression?: Compression | readonly Compression[];
  /** Strict fixed-width mode: every key has exactly `keySize` bytes and every value exactly
   *  `valueSize` bytes. Both or neither; fixed at creation. */
  keySize?: number;
  valueSize?: number;
  /** Bloom filter bits per key in page files. Default 10; 0 disables the filter. */
  bloomBitsPerKey?: number;
  /** Also flush a memtable that has held writes for this long (ms), so WAL segments are
   *  truncated and reopening stays fast under a slow write rate. Default: off (size only). */
  flushIntervalMs?: number;
  /** Leveled compaction knobs (see @kv/compaction's README); invalid ones are INVALID_ARGUMENT. */
  compaction?: Partial<CompactionPolicy>;
  /** How damage in the WAL is treated on open. Default 'tolerateCorruptedTail'. */
  walRecoveryMode?: WalRecoveryMode;
  /** The file system. Default: the real one (node:fs). Tests pass a `MemoryVfs`. */
  vfs?: Vfs;
  /** Wall-clock milliseconds for `ttl` expiry. Default `Date.now`; tests inject their own. */
  clock?: () => number;
  /** Verify every page of every page file on open (reads the whole database once); damage
   *  is CORRUPTION naming the file. Default false: pages are checked as they are read. */
  paranoidChecks?: boolean;
  /** Write the memtables to page files when closing, so the next open has no WAL to replay
   *  and opens in milliseconds. Default true. Best effort: a flush that fails (a full disk,
   *  say) leaves the writes in the WAL, synced, for the next open to replay. */
  flushOnClose?: boolean;
  /** A durable write's WAL fdatasync holds the main thread (instead of going through the
   *  thread pool, a hand-off each way) while each of the last eight syncs took under this
   *  many milliseconds and at most 256 KiB are unsynced. Integer 0..1000; 0 never holds it.
   *  Default 1. */
  blockingSyncMaxMs?: number;
}

/** `DB.open(dir, { readOnly: true, ... })`: a `ReadOnlyDB`, without the lock and without writing anything. */
export interface ReadOnlyOpenOptions extends DbOptions {
  readOnly: true;
}

export interface ResolvedOptions {
  createIfMissing: boolean;
  errorIfExists: boolean;
  memory: MemoryPlan;
  walRecoveryMode: WalRecoveryMode;
  vfs: Vfs;
  pageSizeBytes: number | undefined;
  compression: readonly Compression[];
  fixedWidth: { keySize: number; valueSize: number } | undefined;
  bloomBitsPerKey: number;
  compaction: CompactionPolicy;
  flushIntervalMs: number | undefined;
  clock: () => number;
  readOnly: boolean;
  paranoidChecks: boolean;
  flushOnClose: boolean;
  blockingSyncMaxMs: number;
}

const RECOVERY_MODES: readonly WalRecoveryMode[] = [
  'tolerateCorruptedTail',
  'absoluteConsistency',
  'pointInTime',
  'skipCorrupted',
];

const MEMTABLE_SIZE_MIN_BYTES = 4096;
const GIB = 1024 * 1024 * 1024;
const COMPRESSIONS: readonly Compression[] = ['none', 'lz4'];

/** Validates `options` and fills in defaults. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgumentError('options', `must be an object, got ${describe(options)}`);
  }
  const given = (options ?? {}) as Record<string, unknown>;
  return {
    createIfMissing: readBoolean(given, 'createIfMissing', true),
    errorIfExists: readBoolean(given, 'errorIfExists', false),
    memory: planMemory({
      memoryBudget: readOptionalInteger(given, 'memoryBudget', { min: 0, max: 64 * GIB }),
      memtableSize: readOptionalInteger(given, 'memtableSize', { min: MEMTABLE_SIZE_MIN_BYTES, max: GIB }),
      cacheSize: readOptionalInteger(given, 'cacheSize', { min: 0, max: 64 * GIB }),
    }),
    walRecoveryMode: readRecoveryMode(given),
    vfs: readVfs(given),
    pageSizeBytes: readPageSize(given),
    compression: readCompression(given),
    fixedWidth: readFixedWidth(given),
    bloomBitsPerKey: readOptionalInteger(given, 'bloomBitsPerKey', { min: 0, max: 32 }) ?? 10,
    compaction: readCompactionPolicy(given),
    flushIntervalMs: readOptionalInteger(given, 'flushIntervalMs', { min: 10, max: 24 * 3600 * 1000 }),
    clock: readClock(given),
    readOnly: readBoolean(given, 'readOnly', false),
    paranoidChecks: readBoolean(given, 'paranoidChecks', false),
    flushOnClose: readBoolean(given, 'flushOnClose', true),
    blockingSyncMaxMs: readOptionalInteger(given, 'blockingSyncMaxMs', { min: 0, max: 1000 }) ?? BLOCKING_SYNC_MAX_MS_DEFAULT,
  };
}

/** Reads the `sync` flag of a write's options. */
export function readSyncFlag(options: unknown): boolean {
  if (options === undefined) return false;
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('write options', `must be an object, got ${describe(options)}`);
  }
  return readBoolean(options as Record<string, unknown>, 'sync', false);
}

function readBoolean(given: Record<string, unknown>, name: string, fallback: boolean): boolean {
  const value = given[name];
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new InvalidArgumentError(`option ${name}`, `must be a boolean, got ${describe(value)}`);
  return value;
}

interface IntegerRule {
  min: number;
  max: number;
}

function readOptionalInteger(given: Record<string, unknown>, name: string, rule: IntegerRule): number | undefined {
  const value = given[name];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < rule.min || value > rule.max) {
    throw new InvalidArgumentError(`option ${name}`, `must be an integer from ${rule.min} to ${rule.max}, got ${String(value)}`);
  }
  return value;
}

function readCompactionPolicy(given: Record<string, unknown>): CompactionPolicy {
  const value = given['compaction'];
  if (value === undefined) return resolvePolicy();
  if (typeof value !== 'object' || value === null) throw new InvalidArgumentError('option compaction', `must be an object, got ${describe(value)}`);
  return resolvePolicy(value as Partial<CompactionPolicy>);
}

function readPageSize(given: Record<string, unknown>): number | undefined {
  const value = readOptionalInteger(given, 'pageSize', { min: 1024, max: 65536 });
  if (value !== undefined && (value & (value - 1)) !== 0) {
    throw new InvalidArgumentError('option pageSize', `must be a power of two from 1024 to 65536, got ${value}`);
  }
  return value;
}

function readCompression(given: Record<string, unknown>): readonly Compression[] {
  const value = given['compression'];
  if (value === undefined) return ['none'];
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new InvalidArgumentError('option compression', 'must name at least one level');
  return list.map((item) => {
    const found = COMPRESSIONS.find((candidate) => candidate === item);
    if (found === undefined) throw new InvalidArgumentError('option compression', `must be 'none' or 'lz4', got ${String(item)}`);
    return found;
  });
}

function readFixedWidth(given: Record<string, unknown>): { keySize: number; valueSize: number } | undefined {
  const keySize = readOptionalInteger(given, 'keySize', { min: 1, max: KEY_SIZE_MAX_BYTES });
  const valueSize = readOptionalInteger(given, 'valueSize', { min: 0, max: VALUE_SIZE_MAX_BYTES });
  if (keySize === undefined && valueSize === undefined) return undefined;
  if (keySize === undefined || valueSize === undefined) {
    throw new InvalidArgumentError('options keySize/valueSize', 'give both for strict fixed-width mode, or neither');
  }
  return { keySize, valueSize };
}

/** The compression of page files written to `level`. */
export function compressionForLevel(compression: readonly Compression[], level: number): Compression {
  return compression[Math.min(level, compression.length - 1)] ?? 'none';
}

function readRecoveryMode(given: Record<string, unknown>): WalRecoveryMode {
  const value = given['walRecoveryMode'];
  if (value === undefined) return 'tolerateCorruptedTail';
  const mode = RECOVERY_MODES.find((candidate) => candidate === value);
  if (mode === undefined) {
    throw new InvalidArgumentError('option walRecoveryMode', `must be one of ${RECOVERY_MODES.join(', ')}, got ${String(value)}`);
  }
  return mode;
}

function readVfs(given: Record<string, unknown>): Vfs {
  const value = given['vfs'];
  if (value === undefined) return nodeVfs;
  if (typeof value !== 'object' || value === null || typeof (value as Vfs).open !== 'function') {
    throw new InvalidArgumentError('option vfs', 'must implement the Vfs interface');
  }
  return value as Vfs;
}

function readClock(given: Record<string, unknown>): () => number {
  const value = given['clock'];
  if (value === undefined) return Date.now;
  if (typeof value !== 'function') throw new InvalidArgumentError('option clock', `must be a function returning milliseconds, got ${describe(value)}`);
  return value as () => number;
}
