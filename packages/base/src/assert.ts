/**
 * A failed assertion is a bug in kv, never bad input: it must not be caught or retried.
 * Bytes from disk are input and get a `CorruptionError` instead.
 */
export class AssertionError extends Error {
  constructor(message: string) {
    super(`assertion failed: ${message}`);
    this.name = 'AssertionError';
  }
}

/** Throws `AssertionError` unless `condition` holds. State one fact per call. */
export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

let invariantsOn: boolean =
  process.env['KV_INVARIANTS'] === '1' || process.env['VITEST'] === 'true' || process.env['NODE_ENV'] === 'test';

/** Whether expensive invariant checks run. On under tests and with `KV_INVARIANTS=1`. */
export function invariantsEnabled(): boolean {
  return invariantsOn;
}

/** Turns the expensive checks on or off (for benchmarks and tests of the checks themselves). */
export function setInvariantsEnabled(enabled: boolean): void {
  invariantsOn = enabled;
}
