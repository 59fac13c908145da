import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readReport } from '../src/output-files.js';

describe('readReport', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function writeResults(settings: Record<string, number>): string {
    const dir = mkdtempSync(join(tmpdir(), 'kv-bench-report-'));
    dirs.push(dir);
    const path = join(dir, 'results.json');
    writeFileSync(path, JSON.stringify({ settings, results: [] }));
    return path;
  }

  it('gives a results.json from before --concurrent-sync-ops the count that run used, --sync-ops', () => {
    expect(readReport(writeResults({ syncOps: 20_000 })).settings.concurrentSyncOps).toBe(20_000);
  });

  it('keeps the many-writer count a newer results.json recorded', () => {
    expect(readReport(writeResults({ syncOps: 20_000, concurrentSyncOps: 200_000 })).settings.concurrentSyncOps).toBe(200_000);
  });
});
