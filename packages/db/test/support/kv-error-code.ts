/** Checks that a call fails with a given `KvError` code. */
import { expect } from 'vitest';
import { KvError } from '../../src/index.js';
import type { KvErrorCode } from '../../src/index.js';

/** Calls `action`, turning a synchronous throw into the same outcome as a rejection. */
export async function settle(action: () => unknown): Promise<{ error: unknown } | { value: unknown }> {
  try {
    return { value: await action() };
  } catch (error) {
    return { error };
  }
}

export function expectKvError(error: unknown, code: KvErrorCode): void {
  expect(error, `expected KvError ${code}, got ${String(error)}`).toBeInstanceOf(KvError);
  expect(error).toMatchObject({ name: 'KvError', code });
}

/** `action` throws or rejects with a `KvError` of `code`. */
export async function expectCode(action: () => unknown, code: KvErrorCode): Promise<void> {
  const outcome = await settle(action);
  expect('error' in outcome, `expected ${code}, but the call succeeded`).toBe(true);
  if ('error' in outcome) expectKvError(outcome.error, code);
}

/** `promise` rejects with a KvError of `code`; returns the error for further checks. */
export async function expectFailure(promise: Promise<unknown>, code: KvErrorCode): Promise<unknown> {
  let caught: unknown;
  await promise.then(
    () => expect.fail(`expected ${code}, but the call succeeded`),
    (error: unknown) => (caught = error),
  );
  expect(caught).toMatchObject({ name: 'KvError', code });
  return caught;
}
