import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DB } from '../src/index.js';

// Goal: an acknowledged `sync: true` write survives the writing process being SIGKILLed at
// any moment, including while other writes of its group commit are in flight and while
// memtable switches, flushes and compactions (in a worker thread) run.
// Strategy: a child process (the compiled engine, dist/) writes numbered keys with sync: true
// from several concurrent writers and reports each acknowledgement on stdout; the test kills
// it with SIGKILL after a varying number of acknowledgements, reopens the database and
// checks every acknowledged key, then lets the next child continue in the same directory.
// Invariants: every acknowledged key is present with its exact value; no key of an earlier
// run is lost by a later run's crash.

const CHILD = new URL('./child/sync-writer.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kv-sigkill-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runAndKill(run: number, killAfterAcks: number, concurrency: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, String(run), String(concurrency)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const acked: number[] = [];
    let buffered = '';
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop() ?? '';
      for (const line of lines) if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
      if (acked.length >= killAfterAcks) child.kill('SIGKILL');
    });
    child.on('exit', (_code, signal) => {
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited without being killed: ${stderr}`));
    });
  });
}

const valueOf = (run: number, i: number): string => `value ${run} ${i} ${'x'.repeat(i % 200)}`;
const keyOf = (run: number, i: number): string => `${run}:${String(i).padStart(8, '0')}`;

describe('SIGKILL of a writing process', () => {
  it('keeps every acknowledged sync write across repeated kills', async () => {
    const acknowledged: [number, number][] = [];
    let flushes = 0;
    const plan = [
      { acks: 1, concurrency: 1 },
      { acks: 57, concurrency: 1 },
      { acks: 200, concurrency: 8 },
      { acks: 333, concurrency: 32 },
      { acks: 90, concurrency: 4 },
      { acks: 500, concurrency: 64 },
    ];
    for (const [run, step] of plan.entries()) {
      const acked = await runAndKill(run, step.acks, step.concurrency);
      for (const i of acked) acknowledged.push([run, i]);
      const db = await DB.open(dir, { createIfMissing: false });
      const decoder = new TextDecoder();
      for (const [r, i] of acknowledged) expect(decoder.decode(await db.get(keyOf(r, i)))).toBe(valueOf(r, i));
      flushes += db.stats().levels.reduce((sum, level) => sum + level.files, 0) > 0 ? 1 : 0;
      await db.close();
    }
    expect(acknowledged.length).toBeGreaterThanOrEqual(1181);
    expect(flushes).toBeGreaterThan(0);
  });
});
