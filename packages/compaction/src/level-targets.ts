/**
 * Dynamic level targets, in the style of RocksDB's `level_compaction_dynamic_level_bytes`: the
 * targets follow the data instead of being fixed. The deepest non-empty level (the bottom)
 * anchors them: each level above it targets the bottom's actual size divided by the multiplier
 * once per level, but never less than `baseLevelBytesMin`. So about 90% of the data sits in the
 * bottom level whatever the database's size, which bounds space amplification at ~1.11.
 *
 * The bottom itself may grow until it reaches `baseLevelBytesMin × multiplier^(bottom − 1)`,
 * the size a level at that depth would have in a static layout; past that it spills into the
 * next level down, which becomes the new bottom. Level 6 has nowhere to spill (score 0).
 */
import { LEVEL_COUNT } from '@kv/manifest';
import type { Version } from '@kv/manifest';
import type { CompactionPolicy } from './compaction-policy.js';

export interface LevelTarget {
  level: number;
  /** The size the level should not exceed; for level 0, informational (its score counts files). */
  targetBytes: number;
  actualBytes: number;
  /** Above 1 the level needs compaction; the highest score is compacted first. */
  score: number;
}

export const BOTTOM_LEVEL: number = LEVEL_COUNT - 1;

/** One entry per level, 0 through `LEVEL_COUNT − 1`. */
export function levelTargets(version: Version, policy: CompactionPolicy): LevelTarget[] {
  const actual = Array.from({ length: LEVEL_COUNT }, (_, level) => version.levelBytes(level));
  const bottom = deepestNonEmptyLevel(actual);
  const targets: LevelTarget[] = [level0Target(version, policy, actual[0] ?? 0)];
  for (let level = 1; level < LEVEL_COUNT; level++) {
    const actualBytes = actual[level] ?? 0;
    const targetBytes = targetOf(level, bottom, actual, policy);
    const score = level === BOTTOM_LEVEL || targetBytes === 0 ? 0 : actualBytes / targetBytes;
    targets.push({ level, targetBytes, actualBytes, score });
  }
  return targets;
}

function level0Target(version: Version, policy: CompactionPolicy, actualBytes: number): LevelTarget {
  const files = version.levels[0]?.length ?? 0;
  return { level: 0, targetBytes: policy.baseLevelBytesMin, actualBytes, score: files / policy.level0CompactionTrigger };
}

/** The deepest level >= 1 holding data, or 0 when levels 1..6 are all empty. */
export function deepestNonEmptyLevel(actual: readonly number[]): number {
  for (let level = LEVEL_COUNT - 1; level >= 1; level--) if ((actual[level] ?? 0) > 0) return level;
  return 0;
}

function targetOf(level: number, bottom: number, actual: readonly number[], policy: CompactionPolicy): number {
  const { baseLevelBytesMin: base, levelSizeMultiplier: multiplier } = policy;
  if (bottom === 0) return level === 1 ? base : 0;
  if (level > bottom) return 0;
  if (level === bottom) return level === BOTTOM_LEVEL ? (actual[level] ?? 0) : base * multiplier ** (level - 1);
  const derived = Math.ceil((actual[bottom] ?? 0) / multiplier ** (bottom - level));
  return Math.max(derived, base);
}
