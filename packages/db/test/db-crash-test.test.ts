import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { mixedCrashRound } from './support/mixed-crash-run.js';
import type { KillPlan } from './support/mixed-crash-run.js';

// Goal: RocksDB-style crash testing in short: a real process writing a mixed stream (puts,
// deletes, range deletions, batches, all sync) is SIGKILLed at varied moments, including
// while it opens, and what it left must be exactly some prefix of the stream that keeps
// every acknowledged operation. The long version is scripts/crash-test.mjs.
// Strategy: one directory, consecutive rounds; each round continues the stream where the
// recovered prefix ended (support/mixed-crash-run.ts).
// Invariants: after every kill, the database equals the stream applied up to some k between
// the acknowledged and the submitted count.

const dir = mkdtempSync(join(tmpdir(), 'kv-crash-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('SIGKILL during a mixed workload', () => {
  it('leaves a prefix of the operation stream that keeps every acknowledged operation', async () => {
    const plans: KillPlan[] = [
      { concurrency: 1, acks: 40 },
      { concurrency: 16, acks: 300 },
      { concurrency: 4, delayMs: 0 },
      { concurrency: 64, acks: 600 },
      { concurrency: 8, delayMs: 700 },
      { concurrency: 32, acks: 150 },
    ];
    let state = new Map<string, string>();
    let first = 0;
    let acknowledged = 0;
    for (const plan of plans) {
      const round = await mixedCrashRound(dir, 20261122, first, state, plan);
      expect(round.applied).toBeGreaterThanOrEqual(round.acknowledged);
      acknowledged += round.acknowledged;
      first += round.applied;
      state = round.state;
    }
    expect(acknowledged).toBeGreaterThan(500);
  }, 120_000);
});
