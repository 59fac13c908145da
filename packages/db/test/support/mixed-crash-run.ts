/**
 * Typed access to one round of the mixed crash test (child/mixed-crash-round.mjs, shared
 * with scripts/crash-test.mjs), reading the database through the engine's sources.
 */
import { DB } from '../../src/index.js';
// @ts-expect-error: a plain JavaScript module shared with the long-running script.
import { mixedCrashRound as runRound } from '../child/mixed-crash-round.mjs';

export interface KillPlan {
  concurrency: number;
  /** Kill after this many acknowledgements... */
  acks?: number;
  /** ...or after this many milliseconds from the start (0: while it opens). */
  delayMs?: number;
}

export interface RoundResult {
  submitted: number;
  acknowledged: number;
  /** Operations `first`..`first + applied - 1` are in the database. */
  applied: number;
  state: Map<string, string>;
}

type Round = (db: typeof DB, dir: string, seed: number, first: number, before: Map<string, string>, plan: KillPlan) => Promise<Omit<RoundResult, 'applied'> & { applied: number | undefined }>;

/** Runs one round on top of `before`; throws when the recovered state is no allowed prefix. */
export async function mixedCrashRound(dir: string, seed: number, first: number, before: Map<string, string>, plan: KillPlan): Promise<RoundResult> {
  const round = await (runRound as Round)(DB, dir, seed, first, before, plan);
  if (round.applied === undefined) {
    throw new Error(`after a kill with ${round.acknowledged} acknowledged and ${round.submitted} submitted operations from ${first}, the database matches no prefix that keeps every acknowledged one (seed ${seed})`);
  }
  return { ...round, applied: round.applied };
}
