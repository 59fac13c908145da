import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/**
 * Database locations under one temporary directory per test file, removed after the file's
 * tests. Each call gives a new location that does not exist yet.
 */
export function tempLocations(): () => string {
  const root = mkdtempSync(join(tmpdir(), 'kv-level-test-'));
  let count = 0;
  afterAll(() => rmSync(root, { recursive: true, force: true }));
  return () => join(root, `db${count++}`);
}
