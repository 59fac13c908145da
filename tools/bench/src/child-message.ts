/**
 * Messages from a child to the parent over the fork IPC channel. A child sends progress while
 * it runs and exactly one final message (results, limits, probe or error) before it exits.
 */
import type { MachineLimits } from './machine-limits.js';
import type { ProgressMessage } from './progress-channel.js';
import type { WorkloadResult } from './workload-result.js';

export type FinalMessage =
  | { type: 'results'; results: WorkloadResult[] }
  | { type: 'limits'; limits: MachineLimits }
  | { type: 'probe'; openMs: number }
  | { type: 'error'; message: string };

export type ChildMessage = ProgressMessage | FinalMessage;

/** Narrows an IPC message; anything else is ignored by the parent. */
export function isChildMessage(value: unknown): value is ChildMessage {
  if (typeof value !== 'object' || value === null) return false;
  const type = (value as { type?: unknown }).type;
  return type === 'progress' || type === 'results' || type === 'limits' || type === 'probe' || type === 'error';
}
