/**
 * Open options: defaults, validation and the resolved form the engine uses. Unknown options
 * are ignored (forward compatibility, as classic-level does); a known option of the wrong
 * type or range is INVALID_ARGUMENT.
 */
import { InvalidArgumentError } from '@kv/base';
import { nodeVfs } from '@kv/vfs';
import type { Vfs } from '@kv/vfs';
import type { WalRecoveryMode } from '@kv/wal';
import { describe } from './input-bytes.js';

export interface DbOptions {
  /** Create the database when the directory holds none. Default true. */
  createIfMissing?: boolean;
  /** Fail with INVALID_ARGUMENT when a database already exists. Default false. */
  errorIfExists?: boolean;
  /** Bytes of memtable data before it is frozen and written out. Default 4 MiB. */
  memtableSize?: number;
  /** How damage in the WAL is treated on open. Default 'tolerateCorruptedTail'. */
  walRecoveryMode?: WalRecoveryMode;
  /** The file system. Default: the real one (node:fs). Tests pass a `MemoryVfs`. */
  vfs?: Vfs;
}

export interface ResolvedOptions {
  createIfMissing: boolean;
  errorIfExists: boolean;
  memtableSizeBytes: number;
  walRecoveryMode: WalRecoveryMode;
  vfs: Vfs;
}

const RECOVERY_MODES: readonly WalRecoveryMode[] = [
  'tolerateCorruptedTail',
  'absoluteConsistency',
  'pointInTime',
  'skipCorrupted',
];

const MEMTABLE_SIZE_MIN_BYTES = 64 * 1024;
const MEMTABLE_SIZE_MAX_BYTES = 1024 * 1024 * 1024;

/** Validates `options` and fills in defaults. */
export function resolveOptions(options: unknown): ResolvedOptions {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgumentError('options', `must be an object, got ${describe(options)}`);
  }
  const given = (options ?? {}) as Record<string, unknown>;
  return {
    createIfMissing: readBoolean(given, 'createIfMissing', true),
    errorIfExists: readBoolean(given, 'errorIfExists', false),
    memtableSizeBytes: readInteger(given, 'memtableSize', {
      fallback: 4 * 1024 * 1024,
      min: MEMTABLE_SIZE_MIN_BYTES,
      max: MEMTABLE_SIZE_MAX_BYTES,
    }),
    walRecoveryMode: readRecoveryMode(given),
    vfs: readVfs(given),
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
  fallback: number;
  min: number;
  max: number;
}

function readInteger(given: Record<string, unknown>, name: string, rule: IntegerRule): number {
  const value = given[name];
  if (value === undefined) return rule.fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < rule.min || value > rule.max) {
    throw new InvalidArgumentError(`option ${name}`, `must be an integer from ${rule.min} to ${rule.max}, got ${String(value)}`);
  }
  return value;
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
