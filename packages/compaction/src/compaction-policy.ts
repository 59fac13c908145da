/**
 * The knobs of leveled compaction and their defaults. README.md ("Policy") explains how the
 * picker uses each one.
 */
import { InvalidArgumentError } from '@kv/base';

export interface CompactionPolicy {
  /** Level 0 is compacted into level 1 once it holds this many files. */
  level0CompactionTrigger: number;
  /** The engine slows writers down once level 0 holds this many files. */
  level0SlowdownTrigger: number;
  /** The engine stops writers once level 0 holds this many files. */
  level0StopTrigger: number;
  /** Each level's target is this many times the target of the level above it. */
  levelSizeMultiplier: number;
  /** The smallest target of any level between level 0 and the bottom level. */
  baseLevelBytesMin: number;
  /** Output files are split at about this size (never between two versions of one user key). */
  targetFileSizeBytes: number;
}

const MIB = 1024 * 1024;

export const DEFAULT_COMPACTION_POLICY: Readonly<CompactionPolicy> = Object.freeze({
  level0CompactionTrigger: 4,
  level0SlowdownTrigger: 8,
  level0StopTrigger: 12,
  levelSizeMultiplier: 10,
  baseLevelBytesMin: 8 * MIB,
  targetFileSizeBytes: 4 * MIB,
});

/** Bounds that keep the level arithmetic meaningful; values outside are INVALID_ARGUMENT. */
const MULTIPLIER_MIN = 2;
const MULTIPLIER_MAX = 1000;
const FILE_SIZE_BYTES_MIN = 4096;

/**
 * Fills in defaults and validates. Requires: every count and size is a positive safe integer,
 * compaction trigger <= slowdown trigger <= stop trigger, 2 <= multiplier <= 1000 and a target
 * file size of at least 4 KiB.
 */
export function resolvePolicy(partial: Partial<CompactionPolicy> = {}): CompactionPolicy {
  const policy: CompactionPolicy = { ...DEFAULT_COMPACTION_POLICY };
  for (const name of Object.keys(DEFAULT_COMPACTION_POLICY) as (keyof CompactionPolicy)[]) {
    const value = partial[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value) || value <= 0) throw new InvalidArgumentError(`compaction policy ${name}`, 'must be a positive integer');
    policy[name] = value;
  }
  if (policy.level0SlowdownTrigger < policy.level0CompactionTrigger) {
    throw new InvalidArgumentError('compaction policy level0SlowdownTrigger', 'must be at least level0CompactionTrigger');
  }
  if (policy.level0StopTrigger < policy.level0SlowdownTrigger) {
    throw new InvalidArgumentError('compaction policy level0StopTrigger', 'must be at least level0SlowdownTrigger');
  }
  if (policy.levelSizeMultiplier < MULTIPLIER_MIN || policy.levelSizeMultiplier > MULTIPLIER_MAX) {
    throw new InvalidArgumentError('compaction policy levelSizeMultiplier', `must be ${MULTIPLIER_MIN}..${MULTIPLIER_MAX}`);
  }
  if (policy.targetFileSizeBytes < FILE_SIZE_BYTES_MIN) {
    throw new InvalidArgumentError('compaction policy targetFileSizeBytes', `must be at least ${FILE_SIZE_BYTES_MIN}`);
  }
  return policy;
}
