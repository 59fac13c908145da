/**
 * Progress from a child to the parent's progress line, at most a few messages a second so that
 * reporting does not show up in the measurements. Outside a forked child it does nothing.
 */
const INTERVAL_MS = 500;
let lastSentMs = 0;

export interface ProgressMessage {
  type: 'progress';
  ops: number;
  total: number;
}

export function reportProgress(ops: number, total: number): void {
  if (process.send === undefined) return;
  const now = Date.now();
  if (now - lastSentMs < INTERVAL_MS) return;
  lastSentMs = now;
  const message: ProgressMessage = { type: 'progress', ops, total };
  process.send(message);
}
