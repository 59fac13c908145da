/** Opening a database directory from another process (child/open-probe.mjs). */
import { spawn } from 'node:child_process';
import { KvError } from '../../src/index.js';
import type { KvErrorCode } from '../../src/index.js';

/** Runs child/open-probe.mjs on `dir` in another process; resolves with what it printed. */
export function probeFromOtherProcess(dir: string): Promise<{ ok: true } | { name: string; code: KvErrorCode; message: string }> {
  const child = spawn(process.execPath, [new URL('../child/open-probe.mjs', import.meta.url).pathname, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode) => {
      if (exitCode !== 0) reject(new Error(`open-probe exited with ${exitCode}: ${output}`));
      else resolve(JSON.parse(output) as never);
    });
  });
}

/** Re-raises the child's error here, as the KvError it was, so a caller can check its code. */
export async function openFromOtherProcess(dir: string): Promise<void> {
  const result = await probeFromOtherProcess(dir);
  if ('ok' in result) return;
  if (result.name !== 'KvError') throw new Error(`the other process failed with ${result.name}: ${result.message}`);
  throw new KvError(result.code, result.message);
}
