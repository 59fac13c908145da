/**
 * The lock paths held by this process, shared through `globalThis` under a registered symbol so
 * that two copies of this module (for instance a bundled and an installed one) still see each
 * other's locks. A pid lock file alone cannot tell two holders in the same process apart.
 */
const REGISTRY_KEY: symbol = Symbol.for('kv.vfs.locks');

/** Returns the process-wide set of held lock keys, creating it on first use. */
export function processLockRegistry(): Set<string> {
  const holder = globalThis as unknown as Record<symbol, unknown>;
  const existing = holder[REGISTRY_KEY];
  if (existing instanceof Set) return existing as Set<string>;
  const created = new Set<string>();
  holder[REGISTRY_KEY] = created;
  return created;
}
