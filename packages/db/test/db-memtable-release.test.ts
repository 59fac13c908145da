import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('flushed memtables', () => {
  // Goal: a flushed memtable (its entry tree and batch payloads) is garbage, so memtables stay
  // within memoryBudget. Strategy: a child process (needs --expose-gc) holds WeakRefs to every
  // memtable it saw active and to its entry tree, flushes, and collects garbage.
  // Regressions: a closure of the engine's constructor kept the open's result alive, and with
  // it the first memtable, for as long as the database was open; the list of memtables reads
  // use, cached until the next read, kept every memtable flushed since the last read; a closed
  // iterator the caller still held kept the memtables it was made over; the flush timer kept
  // the memtable it last saw until its next tick.
  it.each([
    ['writes', 'with writes and a read between them'],
    ['iterators', 'while closed iterators made over them are still held'],
    ['timer', 'while the flush timer last saw them'],
  ])('are released once flushed: %s (%s)', (scenario) => {
    const dir = mkdtempSync(join(tmpdir(), 'kv-memtable-release-'));
    try {
      const script = new URL('./child/memtable-release.mjs', import.meta.url).pathname;
      const output = execFileSync(process.execPath, ['--expose-gc', script, dir, scenario], { encoding: 'utf8' });
      const result = JSON.parse(output) as { recorded: number; reachable: number };
      expect(result.recorded).toBeGreaterThan(scenario === 'timer' ? 0 : 2);
      expect(result.reachable).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
