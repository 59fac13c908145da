/**
 * `pnpm bench`: runs every selected engine through every selected workload, each job in a child
 * process of its own, and writes JSON, markdown and SVG results. See the README for the flags.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { jobsFor, planBench } from './bench-plan.js';
import { runBench } from './bench-run.js';
import { USAGE, parseFlags } from './flags.js';
import { readReport, writeOutputs } from './output-files.js';
import { ProgressLine } from './progress-line.js';

const DEFAULT_OUT_DIR = fileURLToPath(new URL('../results', import.meta.url));

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (flags.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (flags.renderFrom !== undefined) {
    const paths = writeOutputs(readReport(flags.renderFrom), flags.outDir ?? dirname(flags.renderFrom));
    process.stdout.write(`rendered ${paths.markdown} and ${paths.svg}\n`);
    return 0;
  }
  const plan = planBench(flags);
  const scratchDir = flags.scratchDir ?? mkdtempSync(join(tmpdir(), 'kv-bench-'));
  mkdirSync(scratchDir, { recursive: true });
  const jobCount = 1 + plan.engines.reduce((sum, engine) => sum + 1 + jobsFor(plan, engine).length, 0);
  const progress = new ProgressLine(jobCount);
  const command = ['node', relative(process.cwd(), fileURLToPath(import.meta.url)) || 'main.js', ...argv].join(' ');
  try {
    const report = await runBench({ flags, plan, scratchDir, progress, command });
    const paths = writeOutputs(report, flags.outDir ?? DEFAULT_OUT_DIR);
    progress.note(`results: ${paths.markdown}\n         ${paths.json}\n         ${paths.svg}`);
    const failed = report.results.filter((r) => r.status === 'failed').length;
    if (failed > 0) progress.note(`${failed} workload(s) failed; see the notes in ${paths.json}`);
    return 0;
  } finally {
    if (!flags.keep && flags.scratchDir === undefined) rmSync(scratchDir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
