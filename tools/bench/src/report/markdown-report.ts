/**
 * The markdown report: one table per figure with engines as columns (plus the machine's
 * physical limit), the engines' setup, and the target check.
 */
import type { BenchReport } from '../bench-report.js';
import { WORKLOAD_DESCRIPTIONS, WORKLOAD_ORDER } from '../workloads/workload-catalog.js';
import type { WorkloadResult } from '../workload-result.js';
import { formatMicros, formatMiB, formatRate, formatRatio } from './format.js';
import { physicalLimit } from './physical-limit.js';
import { checkTargets } from './targets.js';

type Cell = (result: WorkloadResult) => string;

export function renderMarkdown(report: BenchReport, chartFile: string | undefined): string {
  const engines = report.engines.filter((e) => e.status !== 'not installable').map((e) => e.name);
  const workloads = WORKLOAD_ORDER.filter((w) => report.results.some((r) => r.workload === w));
  const table = (cell: Cell, withLimit: boolean): string => renderTable(report, { engines, workloads, cell, withLimit });
  const writing = workloads.filter((w) => report.results.some((r) => r.workload === w && r.writeAmp !== undefined));
  return [
    renderHeader(report),
    chartFile === undefined ? '' : `![ops/s per workload, log scale](${chartFile})\n`,
    '## Throughput (ops/s; * = stopped by the time cap)\n',
    table((r) => `${formatRate(r.opsPerSec)}${r.capped ? '*' : ''}`, true),
    '## Latency p50 / p99 / p99.9 (µs)\n',
    'One sample is one operation, except fills (one batch), readseq/readreverse (a chunk of 1,000 entries) and seekrandom (a seek plus 10 nexts).\n',
    table((r) => (r.latency === undefined ? '–' : `${formatMicros(r.latency.p50Us)} / ${formatMicros(r.latency.p99Us)} / ${formatMicros(r.latency.p999Us)}`), false),
    '## Write amplification (bytes written to disk ÷ bytes the user wrote)\n',
    renderTable(report, { engines, workloads: writing, cell: (r) => formatRatio(r.writeAmp), withLimit: false }),
    '## Peak RSS of the child process\n',
    table((r) => formatMiB(r.peakRssBytes), false),
    renderSpace(report, engines),
    renderTargets(report),
    renderEngines(report),
  ].join('\n');
}

function renderHeader(report: BenchReport): string {
  const s = report.settings;
  const m = report.machine;
  const limits = report.limits === undefined
    ? 'not measured'
    : `sequential write with fsync ${report.limits.sequentialWriteMBps.toFixed(0)} MB/s; fdatasync p50 ${formatMicros(report.limits.fdatasyncP50Us)} µs ` +
      `(${formatRate(report.limits.fdatasyncPerSec)}/s); cached random 4 KiB reads ${formatRate(report.limits.cachedRandomReadsPerSec)}/s; memcpy ${report.limits.memcpyGBps.toFixed(1)} GB/s`;
  return [
    `# Benchmark results${report.quick ? ' (quick mode)' : ''}\n`,
    `- Command: \`${report.command}\``,
    `- Started ${report.startedAt}, took ${(report.durationSeconds / 60).toFixed(1)} min`,
    `- Data: ${s.keyCount.toLocaleString('en-US')} records, ${s.keyBytes}-byte keys, ${s.valueBytes}-byte values (about half compressible), seed ${s.seed}; batches of ${s.batchSize}`,
    `- Phases: ${s.opsPerPhase.toLocaleString('en-US')} ops (${s.syncOps.toLocaleString('en-US')} for fillsync, ${s.concurrentSyncOps.toLocaleString('en-US')} for ${s.syncWriters} concurrent writers), capped at ${s.phaseSeconds} s (fills ${s.fillSeconds} s); larger-than-memory budget ${formatMiB(s.smallBudgetBytes)}`,
    `- Machine: ${m.cpuCount} × ${m.cpuModel}, ${formatMiB(m.memoryBytes)} RAM, Node ${m.node}, ${m.kernel}; disk: ${m.disk}`,
    `- Machine limits (physical limit column): ${limits}\n`,
  ].join('\n');
}

interface TableSpec {
  engines: readonly string[];
  workloads: readonly string[];
  cell: Cell;
  withLimit: boolean;
}

function renderTable(report: BenchReport, spec: TableSpec): string {
  const header = ['workload', ...spec.engines, ...(spec.withLimit ? ['physical limit'] : [])];
  const rows = spec.workloads.map((workload) => {
    const cells = spec.engines.map((engine) => {
      const result = report.results.find((r) => r.engine === engine && r.workload === workload);
      if (result === undefined) return '';
      return result.status === 'ok' ? spec.cell(result) : result.status;
    });
    const limit = report.limits === undefined ? undefined : physicalLimit(workload, report.limits, report.settings);
    return [workload, ...cells, ...(spec.withLimit ? [limit === undefined ? '–' : formatRate(limit.opsPerSec)] : [])];
  });
  return `${markdownRows([header, ...rows])}\n`;
}

function renderSpace(report: BenchReport, engines: readonly string[]): string {
  const find = (engine: string, workload: string): WorkloadResult | undefined => report.results.find((r) => r.engine === engine && r.workload === workload && r.status === 'ok');
  const row = (label: string, value: (engine: string) => string): string[] => [label, ...engines.map(value)];
  const rows = [
    row('space amp after fillrandom', (e) => formatRatio(find(e, 'fillrandom')?.space?.afterFill)),
    row('space amp after full compaction', (e) => formatRatio(find(e, 'fillrandom')?.space?.afterCompaction)),
    row('how it was compacted', (e) => find(e, 'fillrandom')?.space?.compaction ?? '–'),
    row('space amp with LZ4 (after fill / compaction)', (e) => {
      const space = find(e, 'fillrandom-lz4')?.space;
      return space === undefined ? '–' : `${formatRatio(space.afterFill)} / ${formatRatio(space.afterCompaction)}`;
    }),
    row('reopen after fillrandom (ms)', (e) => { const ms = find(e, 'fillrandom')?.reopenMs; return ms === undefined ? '–' : ms.toFixed(1); }),
  ];
  return `## Space and reopen\n\nSpace amplification = bytes the database directory occupies on disk (allocated blocks) ÷ live user bytes (records × (key + value)).\n\n${markdownRows([['figure', ...engines], ...rows])}\n`;
}

function renderTargets(report: BenchReport): string {
  const rows = checkTargets(report).map((c) => [c.target, c.measured, c.reference, c.status === 'pass' ? 'pass' : c.status === 'fail' ? '**FAIL**' : 'n/a']);
  return `## Targets for kv\n\nRatios are against the best other persistent engine in this run (memory-level, the in-memory baseline, is left out).\n\n${markdownRows([['target', 'kv', 'reference', 'status'], ...rows])}\n`;
}

function renderEngines(report: BenchReport): string {
  const rows = report.engines.map((e) => [e.name, e.packageName, e.status, (e.reason ?? e.notes).replaceAll('|', '\\|')]);
  const workloads = WORKLOAD_ORDER.map((w) => [w, WORKLOAD_DESCRIPTIONS[w] ?? '']);
  return `## Engines\n\n${markdownRows([['engine', 'package', 'status', 'setup / reason'], ...rows])}\n\n## Workloads\n\n${markdownRows([['workload', 'what it does'], ...workloads])}\n`;
}

function markdownRows(rows: readonly (readonly string[])[]): string {
  const [header, ...body] = rows;
  if (header === undefined) return '';
  const line = (cells: readonly string[]): string => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...body.map(line)].join('\n');
}
