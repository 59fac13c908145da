/**
 * Forks the compiled runner for one job and waits for its final message. A child that crashes,
 * exits without a result or runs past its hard time limit becomes an `error` message carrying
 * the tail of its stderr, so one broken engine cannot stop the run.
 */
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { isChildMessage } from './child-message.js';
import type { FinalMessage } from './child-message.js';
import { encodeJob } from './job.js';
import type { BenchJob } from './job.js';

const RUNNER = fileURLToPath(new URL('./runner.js', import.meta.url));
const STDERR_TAIL_CHARS = 2000;

export interface ChildOptions {
  timeoutMs: number;
  onProgress: (ops: number, total: number) => void;
  /** Node flags for the child, after the parent's own (which `fork` passes on anyway). */
  nodeArgs?: readonly string[];
}

export function runChild(job: BenchJob, options: ChildOptions): Promise<FinalMessage> {
  return new Promise((resolve) => {
    const child = fork(RUNNER, [encodeJob(job)], { execArgv: [...process.execArgv, ...(options.nodeArgs ?? [])], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    let stderr = '';
    let final: FinalMessage | undefined;
    const timer = setTimeout(() => {
      final ??= { type: 'error', message: `timed out after ${Math.round(options.timeoutMs / 1000)} s (hard limit; killed)` };
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL_CHARS);
    });
    child.on('message', (message: unknown) => {
      if (!isChildMessage(message)) return;
      if (message.type === 'progress') options.onProgress(message.ops, message.total);
      else final ??= message;
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      const exitText = signal === null ? `exit code ${String(code)}` : `signal ${signal}`;
      resolve(final ?? { type: 'error', message: `child ended (${exitText}) without a result${stderr === '' ? '' : `: ${stderr.trim()}`}` });
    });
  });
}
