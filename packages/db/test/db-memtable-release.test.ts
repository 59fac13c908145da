import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('flushed memtables', () => {
  it('are released once flushed, the one the open started with included', () => {
    // Goal: a flushed memtable (its entry arrays and batch payloads) is garbage, so memtables
    // stay within memoryBudget. Regression: a closure of the engine's constructor kept the
    // open's result alive, and with it the first memtable (up to memtableSize of payloads)
    // for as long as the database was open; and the list of memtables reads use, cached until
    // the next read, kept every memtable flushed since the last read.
    // Strategy: a child process (needs --expose-gc) holds WeakRefs to every memtable it saw
    // active, flushes, and collects garbage.
    const dir = mkdtempSync(join(tmpdir(), 'kv-memtable-release-'));
    try {
      const script = new URL('./child/memtable-release.mjs', import.meta.url).pathname;
      const output = execFileSync(process.execPath, ['--expose-gc', script, dir], { encoding: 'utf8' });
      const result = JSON.parse(output) as { recorded: number; reachable: number };
      expect(result.recorded).toBeGreaterThan(2);
      expect(result.reachable).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
