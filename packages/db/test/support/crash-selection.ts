/**
 * Choosing which crash states of a recorded run to check within a budget, and reporting the
 * violations found, for crash-state exploration tests.
 */
import { createHash } from 'node:crypto';
import { crashStates } from '@kv/vfs';
import type { CrashState, OperationLog } from '@kv/vfs';

export interface CrashSelection {
  /** The states to check, in prefix order. */
  selected: CrashState[];
  candidates: number;
  distinct: number;
  /** Prefixes whose power-loss state is selected, directly or as an equal state. */
  powerLossCovered: number;
}

/**
 * Distinct states spread round-robin over the prefixes: every distinct power-loss state first,
 * then each prefix's most likely state, then each one's second, and so on, until `budget` is
 * spent. Two states are equal when they build the same files and `checkKey` gives their
 * prefixes the same key (what the check depends on besides the files); of equal states the
 * earliest is kept.
 */
export function selectCrashStates(log: OperationLog, options: { budget: number; seed: number; checkKey: (prefix: number) => string }): CrashSelection {
  const { budget, seed, checkKey } = options;
  const perPrefix: CrashState[][] = [];
  const firstOf = new Map<string, CrashState>();
  const powerLoss: string[] = [];
  let candidates = 0;
  const statesPerPrefixMax = Math.min(200, Math.max(24, Math.ceil((3 * budget) / (log.length + 1))));
  for (const state of crashStates(log, { statesPerPrefixMax, seed })) {
    candidates++;
    const key = createHash('sha1').update(`${checkKey(state.prefix)}\n${state.fingerprint}`).digest('base64');
    if (state.kind === 'power-loss') powerLoss.push(key);
    if (firstOf.has(key)) continue;
    firstOf.set(key, state);
    (perPrefix[state.prefix] ??= []).push(state);
  }
  const chosen = new Set<CrashState>();
  for (const key of powerLoss) if (chosen.size < budget) chosen.add(firstOf.get(key) as CrashState);
  for (let rank = 0; chosen.size < Math.min(budget, firstOf.size); rank++) {
    for (const states of perPrefix) {
      const state = states?.[rank];
      if (state !== undefined && chosen.size < budget) chosen.add(state);
    }
  }
  const powerLossCovered = powerLoss.filter((key) => chosen.has(firstOf.get(key) as CrashState)).length;
  const selected = [...chosen].sort((a, b) => a.prefix - b.prefix);
  return { selected, candidates, distinct: firstOf.size, powerLossCovered };
}

/** Violations grouped by their first line with numbers masked, most frequent first, one example each. */
export function summarizeViolations(violations: readonly string[]): string {
  const groups = new Map<string, { count: number; example: string }>();
  for (const violation of violations) {
    const key = (violation.split('\n')[0] ?? '').replace(/\d+/g, '#').slice(0, 160);
    const group = groups.get(key) ?? { count: 0, example: violation };
    group.count++;
    groups.set(key, group);
  }
  return [...groups].sort((a, b) => b[1].count - a[1].count).map(([key, { count, example }]) => `${count} x ${key}\n  e.g. ${example}`).join('\n');
}
