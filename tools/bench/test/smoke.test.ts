import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import type { BenchReport } from '../src/bench-report.js';

// Goal: the compiled tool (dist/, built before tests) runs every installed engine end to end in
// --quick mode and writes well-formed JSON, markdown and SVG. Strategy: tiny N, short caps and
// a subset of workloads, in a scratch directory. Invariants checked: each engine whose package
// resolves ran; each of its results is ok (finite, > 0 ops/s, sane latencies) or n/a with a
// reason; nothing failed. Speed is never asserted.
const MAIN = new URL('../dist/main.js', import.meta.url).pathname;
const WORKLOADS = ['fillseq', 'fillrandom', 'fillsync', 'readrandom', 'readrandom-sync', 'readseq', 'ycsb-a'];
const PACKAGES: Readonly<Record<string, string>> = {
  'classic-level': 'classic-level', 'lmdb': 'lmdb', 'rocksdb': '@nxtedition/rocksdb', 'snap-db': 'snap-db', 'memory-level': 'memory-level',
};
const scratch = mkdtempSync(join(tmpdir(), 'kv-bench-smoke-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function resolves(name: string): boolean {
  try {
    createRequire(MAIN).resolve(name);
    return true;
  } catch {
    return false;
  }
}

describe('bench --quick', () => {
  it('runs every installed engine and writes well-formed JSON, markdown and SVG', async () => {
    const out = join(scratch, 'out');
    const args = [MAIN, '--quick', '--num', '2000', '--ops', '500', '--sync-ops', '50', '--phase-seconds', '0.3', '--fill-seconds', '10',
      '--workloads', WORKLOADS.join(','), '--out', out, '--dir', join(scratch, 'db')];
    await promisify(execFile)(process.execPath, args, { timeout: 110_000 });
    for (const file of ['results.json', 'results.md', 'results.svg']) expect(existsSync(join(out, file))).toBe(true);
    const report = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as BenchReport;
    const installed = report.engines.filter((e) => e.name === 'kv' || (PACKAGES[e.name] !== undefined && resolves(PACKAGES[e.name] ?? '')));
    expect(installed.map((e) => e.name)).toEqual(expect.arrayContaining(['kv', 'classic-level', 'lmdb', 'memory-level']));
    for (const engine of installed) {
      expect(engine.status, `${engine.name}: ${engine.reason ?? ''}`).toBe('ran');
      for (const workload of WORKLOADS) {
        const result = report.results.find((r) => r.engine === engine.name && r.workload === workload);
        expect(result, `${engine.name} ${workload}`).toBeDefined();
        if (result === undefined || result.status === 'n/a') {
          expect(result?.note ?? '').not.toBe('');
          continue;
        }
        expect(result.status, `${engine.name} ${workload}: ${result.note ?? ''}`).toBe('ok');
        expect(Number.isFinite(result.opsPerSec) && result.opsPerSec > 0).toBe(true);
        expect(result.ops).toBeGreaterThan(0);
        expect(result.latency?.p50Us ?? -1).toBeGreaterThanOrEqual(0);
        expect(result.latency?.p99Us ?? -1).toBeGreaterThanOrEqual(result.latency?.p50Us ?? 0);
        expect(result.peakRssBytes).toBeGreaterThan(0);
      }
    }
    expect(report.limits?.fdatasyncPerSec ?? 0).toBeGreaterThan(0);
    const markdown = readFileSync(join(out, 'results.md'), 'utf8');
    expect(markdown).toContain('| workload | kv |');
    expect(markdown).toContain('## Targets for kv');
    expect(readFileSync(join(out, 'results.svg'), 'utf8')).toMatch(/^<svg[^>]*>[\s\S]*<\/svg>\n$/);
  });
});
