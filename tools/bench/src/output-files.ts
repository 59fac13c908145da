/**
 * Writes the run's three outputs side by side: results.json (everything), results.md (the
 * tables) and results.svg (the chart the markdown links to), and reads a results.json back
 * for `--render`.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchReport } from './bench-report.js';
import { renderMarkdown } from './report/markdown-report.js';
import { renderSvg } from './report/svg-chart.js';
import { checkTargets } from './report/targets.js';

export interface OutputPaths {
  json: string;
  markdown: string;
  svg: string;
}

export const CHART_FILE = 'results.svg';

export function writeOutputs(report: BenchReport, outDir: string): OutputPaths {
  mkdirSync(outDir, { recursive: true });
  const paths = { json: join(outDir, 'results.json'), markdown: join(outDir, 'results.md'), svg: join(outDir, CHART_FILE) };
  writeFileSync(paths.json, `${JSON.stringify({ ...report, targets: checkTargets(report) }, null, 2)}\n`);
  writeFileSync(paths.markdown, renderMarkdown(report, CHART_FILE));
  writeFileSync(paths.svg, renderSvg(report));
  return paths;
}

/**
 * The report an earlier run wrote to `path` (its results.json). Settings added since are
 * filled in as that run used them: before the many-writer fillsync phase had its own count, it
 * ran `--sync-ops` puts like the one-writer phase.
 */
export function readReport(path: string): BenchReport {
  const report = JSON.parse(readFileSync(path, 'utf8')) as BenchReport;
  report.settings.concurrentSyncOps ??= report.settings.syncOps;
  return report;
}
