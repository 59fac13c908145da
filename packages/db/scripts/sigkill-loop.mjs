// Long randomized SIGKILL test: for `--seconds` (default 300), start a child that writes
// durably with random concurrency while switches, flushes and compactions run, kill it with
// SIGKILL after a random number of acknowledgements (or a random delay), reopen the database
// and check every acknowledged write. Prints kills, writes checked and failures; exits 1 on
// any failure. Run after `pnpm build`: node packages/db/scripts/sigkill-loop.mjs --seconds 600
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DB } from '../dist/index.js';

const seconds = Number(process.argv[process.argv.indexOf('--seconds') + 1] || 300);
const child = new URL('../test/child/sync-writer.mjs', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kv-sigkill-loop-'));
const deadline = Date.now() + seconds * 1000;
const acknowledged = [];
let kills = 0;
let failures = 0;

function runAndKill(run) {
  return new Promise((resolve, reject) => {
    const concurrency = [1, 4, 16, 64][Math.floor(Math.random() * 4)];
    const killAfter = 1 + Math.floor(Math.random() * 800);
    const proc = spawn(process.execPath, [child, dir, String(run), String(concurrency)], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked = [];
    let buffered = '';
    const timer = setTimeout(() => proc.kill('SIGKILL'), Math.random() * 3000);
    proc.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) if (line.startsWith('ack ')) acked.push(Number(line.slice(4)));
      if (acked.length >= killAfter) proc.kill('SIGKILL');
    });
    proc.on('exit', (_code, signal) => {
      clearTimeout(timer);
      if (signal === 'SIGKILL') resolve(acked);
      else reject(new Error(`child exited on its own (code ${_code})`));
    });
  });
}

const decoder = new TextDecoder();
for (let run = 0; Date.now() < deadline; run++) {
  for (const i of await runAndKill(run)) acknowledged.push([run, i]);
  kills++;
  const db = await DB.open(dir, { createIfMissing: false });
  for (const [r, i] of acknowledged) {
    const value = decoder.decode(await db.get(`${r}:${String(i).padStart(8, '0')}`));
    if (value !== `value ${r} ${i} ${'x'.repeat(i % 200)}`) {
      failures++;
      console.error(`lost or wrong: run ${r} write ${i}`);
    }
  }
  await db.close();
  process.stdout.write(`\rkills ${kills}, acknowledged writes checked ${acknowledged.length}, failures ${failures}`);
}
console.log(`\nsigkill loop: ${kills} kills, ${acknowledged.length} acknowledged writes checked after every kill, ${failures} failures`);
rmSync(dir, { recursive: true, force: true });
process.exitCode = failures > 0 ? 1 : 0;
