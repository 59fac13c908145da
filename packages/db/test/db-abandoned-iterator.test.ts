import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

describe('an iterator dropped without close', () => {
  it('keeps the files it pins only until it is garbage-collected', () => {
    // Goal: an abandoned iterator does not keep compacted-away files forever.
    // Strategy: a child process (needs --expose-gc) pins the files with an iterator it drops,
    // compacts them away, then forces garbage collection.
    // Invariants: the files survive the compaction while pinned, and are gone after GC.
    const dir = mkdtempSync(join(tmpdir(), 'kv-abandoned-'));
    try {
      const script = new URL('./child/abandoned-iterator.mjs', import.meta.url).pathname;
      const output = execFileSync(process.execPath, ['--expose-gc', script, dir], { encoding: 'utf8' });
      const result = JSON.parse(output) as { pinned: string[]; keptWhilePinned: string[]; keptAfterGc: string[] };
      expect(result.pinned.length).toBeGreaterThan(0);
      expect(result.keptWhilePinned).toEqual(result.pinned);
      expect(result.keptAfterGc).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
