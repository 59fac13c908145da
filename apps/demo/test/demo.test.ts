import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

// Runs the compiled program (dist/, built before tests) the way the README's first command
// does, in a scratch directory, twice: the second run must find the first run's data.
const MAIN = new URL('../dist/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'kv-demo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('reference program', () => {
  it('writes, reopens and reads back, and a second run sees the first', () => {
    const data = join(dir, 'data');
    const first = execFileSync(process.execPath, [MAIN, data], { encoding: 'utf8' });
    expect(first).toMatch(/run 1 wrote 1000 records .* read all 1000 back intact/);
    const second = execFileSync(process.execPath, [MAIN, data], { encoding: 'utf8' });
    expect(second).toMatch(/run 2 wrote 1000 records .* read all 1000 back intact/);
    expect(readdirSync(data).filter((name) => name.endsWith('.log')).length).toBeGreaterThan(0);
  });

  it('defaults to ./data in the working directory', () => {
    const cwd = mkdtempSync(join(dir, 'cwd-'));
    const output = execFileSync(process.execPath, [MAIN], { cwd, encoding: 'utf8' });
    expect(output).toContain(join(cwd, 'data'));
  });
});
