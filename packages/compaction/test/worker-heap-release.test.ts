import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { isMeasureMemoryWarning, releaseFinishedJobMemory } from '../src/worker-heap-release.js';

describe('releaseFinishedJobMemory', () => {
  it("drops only vm.measureMemory's experimental warning, and every other warning still shows", async () => {
    const seen: string[] = [];
    const onWarning = (warning: Error): void => {
      seen.push(`${warning.name}: ${warning.message}`);
    };
    const emitWarning = process.emitWarning;
    process.on('warning', onWarning);
    try {
      releaseFinishedJobMemory();
      releaseFinishedJobMemory();
      process.emitWarning('vm.measureMemory is an experimental feature and might change at any time', 'ExperimentalWarning');
      process.emitWarning('another experimental feature', 'ExperimentalWarning');
      process.emitWarning(new Error('an error as warning'));
      process.emitWarning('plain', { type: 'DeprecationWarning', code: 'X1' });
      await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      process.off('warning', onWarning);
      // The filter is meant for the worker's own process object: give this one back.
      process.emitWarning = emitWarning;
    }
    expect(seen).toEqual(['ExperimentalWarning: another experimental feature', 'Error: an error as warning', 'DeprecationWarning: plain']);
  });

  it('recognises the warning in every form process.emitWarning takes, and nothing else', () => {
    const text = 'vm.measureMemory is an experimental feature and might change at any time';
    expect(isMeasureMemoryWarning(text, ['ExperimentalWarning'])).toBe(true);
    expect(isMeasureMemoryWarning(text, [{ type: 'ExperimentalWarning', code: 'X' }])).toBe(true);
    expect(isMeasureMemoryWarning(Object.assign(new Error(text), { name: 'ExperimentalWarning' }), [])).toBe(true);
    // Node takes an Error's type from its name and ignores a type argument.
    expect(isMeasureMemoryWarning(new Error(text), ['ExperimentalWarning'])).toBe(false);
    expect(isMeasureMemoryWarning(text, [])).toBe(false);
    expect(isMeasureMemoryWarning(text, ['DeprecationWarning'])).toBe(false);
    expect(isMeasureMemoryWarning('another experimental feature', ['ExperimentalWarning'])).toBe(false);
    // Not a warning Node accepts at all: left for Node to reject.
    expect(isMeasureMemoryWarning(123, ['ExperimentalWarning'])).toBe(false);
    expect(isMeasureMemoryWarning(undefined, [undefined])).toBe(false);
  });

  it('leaves a process that runs table builds in the worker without an ExperimentalWarning on stderr', () => {
    // The pool's worker calls it after every table build; its warnings reach the parent's stderr.
    const script = `
      import { CompactionWorkerPool } from ${JSON.stringify(new URL('../dist/index.js', import.meta.url).href)};
      import { EntryKind, EntryPacker, toSeqNum } from '@kv/base';
      import { mkdtempSync, rmSync } from 'node:fs';
      import { tmpdir } from 'node:os';
      import { join } from 'node:path';
      const dir = mkdtempSync(join(tmpdir(), 'kv-heap-release-'));
      const pool = new CompactionWorkerPool();
      for (let file = 1; file <= 3; file++) {
        const packer = new EntryPacker(10);
        for (let i = 0; i < 10; i++) packer.add({ key: Buffer.from('k' + i), seq: toSeqNum(10 - i), kind: EntryKind.Put, value: Buffer.from('v') });
        await pool.buildTable({ path: join(dir, file + '.sst'), build: {}, snapshots: [], entries: packer.entries() });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      await pool.close();
      rmSync(dir, { recursive: true, force: true });
      console.log('built');
    `;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: new URL('..', import.meta.url), encoding: 'utf8' });
    expect(child.stdout.trim()).toBe('built');
    expect(child.stderr).toBe('');
  });
});
