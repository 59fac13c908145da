// One round of the mixed crash test, shared by the CI test (support/mixed-crash-run.ts) and
// the long script (scripts/crash-test.mjs): start the writing child (mixed-writer.mjs) at
// operation `first`, SIGKILL it at a chosen moment, reopen the database with `DB` and find the
// prefix of the operation stream it holds. Writes are sequenced in submission order and
// every one is sync, so the database must equal the stream applied up to some k with
// acknowledged <= k <= submitted (operations first..first+k-1 applied on top of `before`).
import { spawn } from 'node:child_process';
import { applyOps, opsAt } from './mixed-ops.mjs';

const CHILD = new URL('./mixed-writer.mjs', import.meta.url).pathname;

/**
 * Kills the child after `plan.acks` acknowledgements or `plan.delayMs` milliseconds (0:
 * while it opens), whichever comes first; resolves with what it submitted and acknowledged.
 */
function runAndKill(dir, seed, first, plan) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(seed), String(first), String(plan.concurrency)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let submitted = 0;
    let acknowledged = 0;
    let buffered = '';
    let stderr = '';
    const timer = plan.delayMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), plan.delayMs);
    child.stderr.on('data', (chunk) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('sub ')) submitted = Math.max(submitted, Number(line.slice(4)) - first + 1);
        else if (line.startsWith('ack ')) acknowledged++;
      }
      if (plan.acks !== undefined && acknowledged >= plan.acks) child.kill('SIGKILL');
    });
    // 'close', not 'exit': 'exit' may come while the pipe still holds lines the child wrote
    // before it died, and a `sub` line read too late would make `submitted` too small.
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ submitted, acknowledged });
      else reject(new Error(`child exited without being killed (code ${String(code)}): ${stderr}`));
    });
  });
}

async function readAll(DB, dir) {
  const db = await DB.open(dir);
  const state = new Map();
  const decoder = new TextDecoder();
  try {
    for await (const [key, value] of db.iterator()) state.set(decoder.decode(key), decoder.decode(value));
  } finally {
    await db.close();
  }
  return state;
}

const same = (a, b) => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/**
 * Runs one round on top of `before` (the state holding operations 0..first-1) and returns
 * { submitted, acknowledged, applied, state }; `applied` is undefined when the recovered
 * state is no allowed prefix (a failure).
 */
export async function mixedCrashRound(DB, dir, seed, first, before, plan) {
  const { submitted, acknowledged } = await runAndKill(dir, seed, first, plan);
  const state = await readAll(DB, dir);
  const model = new Map(before);
  for (let k = 0; k <= submitted; k++) {
    if (k >= acknowledged && same(model, state)) return { submitted, acknowledged, applied: k, state };
    if (k < submitted) applyOps(model, opsAt(seed, first + k));
  }
  return { submitted, acknowledged, applied: undefined, state };
}
