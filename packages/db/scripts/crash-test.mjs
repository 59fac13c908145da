// Long randomized crash test in the spirit of RocksDB's db_crashtest: for `--seconds`
// (default 300), start a child that writes a mixed stream (puts, deletes, range deletions,
// batches; all sync) with random concurrency while switches, flushes, manifest edits and
// worker compactions run; SIGKILL it at a random moment (after random acknowledgements, after
// a random delay, or while it opens); reopen and check that the database is exactly a prefix
// of the stream keeping every acknowledged operation. Prints kills, operations checked and
// failures; exits 1 on any failure. Run after `pnpm build`:
//   node packages/db/scripts/crash-test.mjs --seconds 600 [--seed N]
// (vitest's packages/db/test/db-crash-test.test.ts is the short version CI runs.)
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DB } from '../dist/index.js';
import { applyOps, opsAt } from '../test/child/mixed-ops.mjs';

const flag = (name, fallback) => {
  const at = process.argv.indexOf(name);
  return at === -1 ? fallback : Number(process.argv[at + 1]);
};
const seconds = flag('--seconds', 300);
const seed = flag('--seed', Date.now() % 1_000_000);
const child = new URL('../test/child/mixed-writer.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kv-crash-test-'));
const deadline = Date.now() + seconds * 1000;

function runAndKill(first) {
  const concurrency = [1, 4, 16, 64][Math.floor(Math.random() * 4)];
  const roll = Math.random();
  const killAfterAcks = roll < 0.6 ? 1 + Math.floor(Math.random() * 1000) : Infinity;
  const delay = roll < 0.6 ? 10_000 : roll < 0.75 ? Math.random() * 30 : Math.random() * 2000;
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, dir, String(seed), String(first), String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let submitted = 0;
    let acknowledged = 0;
    let buffered = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), delay);
    proc.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) {
        if (line.startsWith('sub ')) submitted = Math.max(submitted, Number(line.slice(4)) - first + 1);
        else if (line.startsWith('ack ')) acknowledged++;
      }
      if (acknowledged >= killAfterAcks) proc.kill('SIGKILL');
    });
    proc.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ submitted, acknowledged });
      else reject(new Error(`child exited on its own (code ${code})`));
    });
  });
}

async function readAll() {
  const db = await DB.open(dir);
  const state = new Map();
  const decoder = new TextDecoder();
  for await (const [key, value] of db.iterator()) state.set(decoder.decode(key), decoder.decode(value));
  await db.close();
  return state;
}

const same = (a, b) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

let state = new Map();
let first = 0;
let kills = 0;
let checked = 0;
let failures = 0;
try {
  while (Date.now() < deadline) {
    const { submitted, acknowledged } = await runAndKill(first);
    kills++;
    const recovered = await readAll();
    const model = new Map(state);
    let applied;
    for (let k = 0; k <= submitted; k++) {
      if (k >= acknowledged && same(model, recovered)) {
        applied = k;
        break;
      }
      if (k < submitted) applyOps(model, opsAt(seed, first + k));
    }
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
