/**
 * Entry point of a compaction worker thread (loaded from `dist/compaction-worker.js`). It runs
 * each job it is sent (`runCompaction` or `runTableBuild`) on the real file system, opening the
 * files itself, and replies with the result or the serialized error.
 */
import { parentPort } from 'node:worker_threads';
import type { MessagePort } from 'node:worker_threads';
import { nodeVfs } from '@kv/vfs';
import { BuildPriority } from './build-priority.js';
import { runCompaction } from './run-compaction.js';
import { runTableBuild } from './table-build-job.js';
import { releaseFinishedJobMemory } from './worker-heap-release.js';
import { isJobRequest, serializeError } from './worker-protocol.js';
import type { JobReply, JobRequest, WorkerJob } from './worker-protocol.js';

async function handle(port: MessagePort, request: JobRequest): Promise<void> {
  let reply: JobReply;
  try {
    reply = { id: request.id, ok: true, result: await run(request.job) };
  } catch (error) {
    reply = { id: request.id, ok: false, error: serializeError(error) };
  }
  port.postMessage(reply);
  // A table build held views of the main thread's shared payload chunks (see worker-heap-release.ts).
  if (request.job.kind === 'table-build') releaseFinishedJobMemory();
}

/** A worker runs one database's jobs (its pool's), so its flushes go ahead of its compactions. */
const priority = new BuildPriority();

function run(job: WorkerJob): ReturnType<typeof runCompaction> | ReturnType<typeof runTableBuild> {
  return job.kind === 'compaction' ? runCompaction(nodeVfs, job.input, priority) : runTableBuild(nodeVfs, job.input, priority);
}

const port = parentPort;
if (port === null) throw new Error('compaction-worker.js runs only as a worker thread');
port.on('message', (message: unknown) => {
  if (!isJobRequest(message)) throw new Error('compaction worker: unexpected message');
  void handle(port, message);
});
