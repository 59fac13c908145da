import { describe, expect, it } from 'vitest';
import { parseFlags } from '../src/flags.js';

describe('parseFlags', () => {
  it('splits --child-node-args on spaces and defaults to none', () => {
    expect(parseFlags(['--child-node-args=--cpu-prof  --cpu-prof-dir=/tmp/p']).childNodeArgs).toEqual(['--cpu-prof', '--cpu-prof-dir=/tmp/p']);
    expect(parseFlags(['--quick']).childNodeArgs).toEqual([]);
  });

  it('keeps number flags and --quick defaults apart', () => {
    const flags = parseFlags(['--', '--quick', '--num', '1_000']);
    expect(flags.quick).toBe(true);
    expect(flags.settings.keyCount).toBe(1000);
    expect(() => parseFlags(['--num', '-5'])).toThrow();
  });

  it('gives the many-writer fillsync phase ten times the one writer\'s puts unless told otherwise', () => {
    expect(parseFlags([]).settings).toMatchObject({ syncOps: 20_000, concurrentSyncOps: 200_000 });
    expect(parseFlags(['--quick']).settings).toMatchObject({ syncOps: 1000, concurrentSyncOps: 10_000 });
    expect(parseFlags(['--sync-ops', '300']).settings).toMatchObject({ syncOps: 300, concurrentSyncOps: 3000 });
    expect(parseFlags(['--sync-ops', '300', '--concurrent-sync-ops', '450']).settings).toMatchObject({ syncOps: 300, concurrentSyncOps: 450 });
  });
});
