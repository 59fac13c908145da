/**
 * Command-line flags. Every figure of the run is a flag; `--quick` only changes defaults.
 */
import { parseArgs } from 'node:util';
import { CONCURRENT_SYNC_OPS_FACTOR, DEFAULT_SETTINGS, QUICK_SETTINGS } from './settings.js';
import type { BenchSettings } from './settings.js';

export interface BenchFlags {
  settings: BenchSettings;
  quick: boolean;
  /** Engines to run (default: all). */
  engines: readonly string[] | undefined;
  /** Workloads to run (default: all); fillrandom runs whenever a read needs its data set. */
  workloads: readonly string[] | undefined;
  /** Where results.json, results.md and results.svg go. */
  outDir: string | undefined;
  /** Scratch directory for the databases (default: a new one under the OS temp directory). */
  scratchDir: string | undefined;
  keep: boolean;
  measureLimits: boolean;
  /** Node flags for the engine job children (for example `--cpu-prof`), split on spaces. */
  childNodeArgs: readonly string[];
  /** Re-render markdown and SVG from this results.json instead of running. */
  renderFrom: string | undefined;
  help: boolean;
}

const NUMBER_FLAGS: Readonly<Record<string, { key: keyof BenchSettings; scale?: number }>> = {
  'num': { key: 'keyCount' },
  'key-bytes': { key: 'keyBytes' },
  'value-bytes': { key: 'valueBytes' },
  'seed': { key: 'seed' },
  'batch': { key: 'batchSize' },
  'ops': { key: 'opsPerPhase' },
  'sync-ops': { key: 'syncOps' },
  'concurrent-sync-ops': { key: 'concurrentSyncOps' },
  'writers': { key: 'syncWriters' },
  'fill-seconds': { key: 'fillSeconds' },
  'phase-seconds': { key: 'phaseSeconds' },
  'small-budget-mib': { key: 'smallBudgetBytes', scale: 1024 * 1024 },
  'zipf-theta': { key: 'zipfTheta' },
  'scan-max': { key: 'scanLengthMax' },
};

export const USAGE = `Usage: pnpm bench [-- flags]   (or: node tools/bench/dist/main.js [flags])

  --quick                 short run: --num 50000 --ops 20000 --sync-ops 1000 --phase-seconds 2
                          --fill-seconds 20 --small-budget-mib 1 (explicit flags still win)
  --num N                 records in the data set (default 1000000)
  --key-bytes N           key size (default 16)      --value-bytes N   value size (default 100)
  --seed N                data and key-choice seed (default 301)
  --batch N               writes per batch in fills (default 1000)
  --ops N                 operations per read/update/YCSB phase (default: --num)
  --sync-ops N            durable puts of the one-writer fillsync phase (default 20000)
  --concurrent-sync-ops N durable puts of fillsync-concurrent (default: 10 × --sync-ops)
  --writers N             concurrent writers of fillsync-concurrent (default 64)
  --fill-seconds S        time cap of each fill phase (default 180)
  --phase-seconds S       time cap of every other phase (default 20)
  --small-budget-mib M    memory budget of the larger-than-memory run (default 8)
  --zipf-theta X          YCSB Zipfian constant (default 0.99)
  --scan-max N            longest YCSB-E scan (default 100)
  --engines a,b           engines to run (default: all)
  --workloads a,b         workloads to run (default: all)
  --out DIR               output directory (default: tools/bench/results)
  --dir DIR               scratch directory for the databases (default: a temp directory)
  --keep                  keep the databases afterwards
  --no-limits             skip measuring the machine's limits
  --child-node-args="A B" Node flags for each engine job's child process (note the =), e.g.
                          --child-node-args="--cpu-prof --cpu-prof-dir=/tmp/profiles"
  --render FILE           only re-render results.md and results.svg from an earlier results.json
`;

export function parseFlags(argv: readonly string[]): BenchFlags {
  const numberOptions = Object.fromEntries(Object.keys(NUMBER_FLAGS).map((name) => [name, { type: 'string' as const }]));
  // `pnpm bench -- --quick` hands the script a literal "--" first; it separates nothing here.
  const args = argv[0] === '--' ? argv.slice(1) : [...argv];
  const { values: parsed } = parseArgs({
    args,
    strict: true,
    options: {
      ...numberOptions,
      'quick': { type: 'boolean' }, 'engines': { type: 'string' }, 'workloads': { type: 'string' }, 'out': { type: 'string' },
      'dir': { type: 'string' }, 'keep': { type: 'boolean' }, 'no-limits': { type: 'boolean' }, 'help': { type: 'boolean' },
      'render': { type: 'string' }, 'child-node-args': { type: 'string' },
    },
  });
  // The number flags are declared from a table, so their names are not in the parsed type.
  const values: Readonly<Record<string, string | boolean | undefined>> = parsed;
  const quick = values['quick'] === true;
  const settings: BenchSettings = { ...DEFAULT_SETTINGS, ...(quick ? QUICK_SETTINGS : {}) };
  for (const [name, rule] of Object.entries(NUMBER_FLAGS)) {
    const raw = values[name];
    if (typeof raw === 'string') settings[rule.key] = readNumber(name, raw) * (rule.scale ?? 1);
  }
  if (typeof values['concurrent-sync-ops'] !== 'string') settings.concurrentSyncOps = settings.syncOps * CONCURRENT_SYNC_OPS_FACTOR;
  // Like db_bench's `reads`, the phase length follows --num unless --ops is given.
  if (typeof values['ops'] !== 'string') settings.opsPerPhase = Math.min(settings.keyCount, quick ? (QUICK_SETTINGS.opsPerPhase ?? settings.keyCount) : settings.keyCount);
  return {
    settings,
    quick,
    engines: readList(values['engines']),
    workloads: readList(values['workloads']),
    outDir: typeof values['out'] === 'string' ? values['out'] : undefined,
    scratchDir: typeof values['dir'] === 'string' ? values['dir'] : undefined,
    keep: values['keep'] === true,
    measureLimits: values['no-limits'] !== true,
    childNodeArgs: typeof values['child-node-args'] === 'string' ? values['child-node-args'].split(' ').filter((arg) => arg !== '') : [],
    renderFrom: typeof values['render'] === 'string' ? values['render'] : undefined,
    help: values['help'] === true,
  };
}

function readNumber(name: string, raw: string): number {
  const value = Number(raw.replaceAll('_', ''));
  if (!Number.isFinite(value) || value < 0) throw new Error(`--${name} must be a non-negative number, got ${raw}`);
  return value;
}

function readList(raw: string | boolean | undefined): readonly string[] | undefined {
  if (typeof raw !== 'string') return undefined;
  return raw.split(',').map((item) => item.trim()).filter((item) => item !== '');
}
