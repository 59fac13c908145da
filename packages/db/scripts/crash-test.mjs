// Long randomized crash test in the spirit of RocksDB's db_crashtest: for `--seconds`
// (default 300), start a child that writes a mixed stream (puts, deletes, range deletions,
// batches; all sync) with random concurrency while switches, flushes, manifest edits and
// worker compactions run; SIGKILL it at a random moment (after random acknowledgements, after
// a random delay, or while it opens); reopen and check that the database is exactly a prefix
// of the stream keeping every acknowledged operation. Prints kills, operations checked and
// failures; exits 1 on any failure. Run after `pnpm build`:
//   node packages/db/scripts/crash-test.mjs --seconds 600 [--seed N]
// (vitest's packages/db/test/db-crash-test.test.ts is the short version CI runs.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DB } from '../dist/index.js';
import { mixedCrashRound } from '../test/child/mixed-crash-round.mjs';

const flag = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const seconds = flag('--seconds', 300);
const seed = flag('--seed', Date.now() % 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'kv-crash-test-'));
const deadline = Date.now() + seconds * 1000;

/** A random moment: after up to 1,000 acknowledgements, or a delay (short ones kill it while it opens). */
function randomPlan() {
  const concurrency = [1, 4, 16, 64][Math.floor(Math.random() * 4)];
  const roll = Math.random();
  if (roll < 0.6) return { concurrency, acks: 1 + Math.floor(Math.random() * 1000), delayMs: 10_000 };
  return { concurrency, delayMs: roll < 0.75 ? Math.random() * 30 : Math.random() * 2000 };
}

let state = new Map();
let first = 0;
let kills = 0;
let checked = 0;
let failures = 0;
try {
  while (Date.now() < deadline) {
    const { submitted, acknowledged, applied, state: recovered } = await mixedCrashRound(DB, dir, seed, first, state, randomPlan());
    kills++;
    if (applied === undefined) {
      failures++;
      console.error(`FAIL after kill ${kills}: no prefix of operations ${first}.. keeps the ${acknowledged} acknowledged of ${submitted} submitted (seed ${seed}, dir ${dir})`);
      break;
    }
    checked += applied;
    first += applied;
    state = recovered;
  }
} finally {
  console.log(`seed ${seed}: ${kills} kills, ${checked} operations checked, ${failures} failures`);
  if (failures === 0) rmSync(dir, { recursive: true, force: true });
}
process.exitCode = failures > 0 ? 1 : 0;
