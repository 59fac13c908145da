// Long crash-state exploration: runs test/crash-exploration.test.ts once per seed with a
// large budget of distinct crash states (KV_CRASH_STATES per seed) and reports each run's
// summary line. Exits 1 if any run failed. Needs no build: vitest runs the sources.
//
//   node packages/db/scripts/crash-explore.mjs --states 20000 --seeds 10 --first-seed 100
//
// Defaults: 20,000 states per seed, 5 seeds starting at 1. A failure names its seed
// (KV_CRASH_SEED) and the crash state (operation indexes), so it can be replayed alone:
//   KV_CRASH_SEED=<seed> KV_CRASH_STATES=<n> pnpm --filter @kv/db exec vitest run \
//     --config ../../vitest.shared.ts test/crash-exploration.test.ts
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

function option(name, fallback) {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && process.argv[index + 1] !== undefined ? Number(process.argv[index + 1]) : fallback;
}

const states = option('states', 20_000);
const seeds = option('seeds', 5);
const firstSeed = option('first-seed', 1);
const packageDir = fileURLToPath(new URL('..', import.meta.url));
const vitestPackage = createRequire(import.meta.url).resolve('vitest/package.json');
const vitestBin = JSON.parse(readFileSync(vitestPackage, 'utf8')).bin;
const vitest = join(dirname(vitestPackage), typeof vitestBin === 'string' ? vitestBin : vitestBin.vitest);
const failed = [];

for (let seed = firstSeed; seed < firstSeed + seeds; seed++) {
  const started = Date.now();
  const run = spawnSync(process.execPath, [vitest, 'run', '--config', '../../vitest.shared.ts', 'test/crash-exploration.test.ts'], {
    cwd: packageDir,
    env: { ...process.env, KV_CRASH_SEED: String(seed), KV_CRASH_STATES: String(states) },
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  const output = `${run.stdout}${run.stderr}`.replace(/\x1b\[[0-9;]*m/g, '');
  const lines = output.split('\n');
  for (const line of lines) if (line.includes('crash exploration,')) console.log(line.trim());
  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  if (run.status === 0) {
    console.log(`seed ${seed}: passed in ${seconds} s`);
  } else {
    failed.push(seed);
    // The grouped violations (count, message, one crash state each) and the failed tests.
    const report = lines.filter((line) => /^\d+ x |^\s+e\.g\. |^\s+at crash after|×|Error:/.test(line));
    console.log(`seed ${seed}: FAILED in ${seconds} s\n${report.join('\n')}`);
  }
}
console.log(`crash exploration: ${seeds} seeds × up to ${states} states; ${failed.length === 0 ? 'no failures' : `failed seeds: ${failed.join(', ')}`}`);
process.exitCode = failed.length === 0 ? 0 : 1;
