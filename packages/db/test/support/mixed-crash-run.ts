/**
 * One round of the mixed crash test: start the writing child (child/mixed-writer.mjs) at
 * operation `first`, SIGKILL it at a chosen moment (after some acknowledgements, after a
 * delay, or while it is still opening), then reopen the database and find the prefix of the
 * operation stream it holds. Writes are sequenced in submission order and every one is
 * `sync: true`, so the database must equal the stream applied up to some k with
 * acknowledged <= k <= submitted (operations `first`..`k-1` applied on top of `before`).
 */
import { spawn } from 'node:child_process';
import { DB } from '../../src/index.js';
// @ts-expect-error: a plain JavaScript module shared with the child process.
import { applyOps, opsAt } from '../child/mixed-ops.mjs';

const CHILD = new URL('../child/mixed-writer.mjs', import.meta.url).pathname;

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

type Model = Map<string, string>;
const apply = applyOps as (model: Model, ops: unknown) => void;
const opsFor = opsAt as (seed: number, i: number) => unknown;

function runAndKill(dir: string, seed: number, first: number, plan: KillPlan): Promise<{ submitted: number; acknowledged: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(seed), String(first), String(plan.concurrency)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let submitted = 0;
    let acknowledged = 0;
    let buffered = '';
    let stderr = '';
    const timer = plan.delayMs === undefined ? undefined : setTimeout(() => child.kill('SIGKILL'), plan.delayMs);
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) {
        if (line.startsWith('sub ')) submitted = Math.max(submitted, Number(line.slice(4)) - first + 1);
        else if (line.startsWith('ack ')) acknowledged++;
      }
      if (plan.acks !== undefined && acknowledged >= plan.acks) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve({ submitted, acknowledged });
      else reject(new Error(`child exited without being killed (code ${String(code)}): ${stderr}`));
    });
  });
}

async function readAll(dir: string): Promise<Model> {
  const db = await DB.open(dir);
  const state: Model = new Map();
  const decoder = new TextDecoder();
  try {
    for await (const [key, value] of db.iterator()) state.set(decoder.decode(key), decoder.decode(value));
  } finally {
    await db.close();
  }
  return state;
}

const same = (a: Model, b: Model): boolean => a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);

/**
 * Runs one round on top of `before` (the state holding operations 0..first-1). Throws when
 * the recovered state is no allowed prefix.
 */
export async function mixedCrashRound(dir: string, seed: number, first: number, before: Model, plan: KillPlan): Promise<RoundResult> {
  const { submitted, acknowledged } = await runAndKill(dir, seed, first, plan);
  const state = await readAll(dir);
  const model: Model = new Map(before);
  for (let k = 0; k <= submitted; k++) {
    if (k >= acknowledged && same(model, state)) return { submitted, acknowledged, applied: k, state };
    if (k < submitted) apply(model, opsFor(seed, first + k));
  }
  throw new Error(`after a kill with ${acknowledged} acknowledged and ${submitted} submitted operations from ${first}, the database matches no prefix that keeps every acknowledged one (seed ${seed})`);
}
