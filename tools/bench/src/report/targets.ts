/**
 * The engine team's targets, checked against one run. Ratios compare kv with the best other
 * persistent engine in the same run; the in-memory baseline (memory-level) is left out of
 * "best other", since no disk engine is meant to beat it. A target kv cannot be measured on
 * (e.g. no synchronous get yet) counts as not met.
 */
import type { BenchReport } from '../bench-report.js';
import type { WorkloadResult } from '../workload-result.js';
import { formatMicros, formatMiB, formatRate, formatRatio } from './format.js';

export const SUBJECT = 'kv';
const BASELINE = 'memory-level';
const MIB = 1024 * 1024;

export interface TargetCheck {
  target: string;
  measured: string;
  reference: string;
  status: 'pass' | 'fail' | 'n/a';
}

export function checkTargets(report: BenchReport): TargetCheck[] {
  const find = finder(report.results);
  const checks: TargetCheck[] = [
    ratioTarget(report, 'fillseq', 1.0),
    ratioTarget(report, 'fillrandom', 1.5),
    fillSyncTarget(report),
    concurrentSyncTarget(find),
    ...['readrandom', 'readrandom-sync', 'readmissing', 'readseq', 'seekrandom'].map((w) => ratioTarget(report, w, 1.0)),
    ratioTarget(report, 'overwrite', 2.0),
    ratioTarget(report, 'ycsb-a', 2.0),
    readWhileWritingTarget(find),
    ...rssTargets(report, find),
    spaceTarget(find, 'fillrandom', 1.05, 'space amplification without compression'),
    spaceTarget(find, 'fillrandom-lz4', 0.75, 'space amplification with LZ4'),
    reopenTarget(find),
  ];
  return checks;
}

type Finder = (engine: string, workload: string) => WorkloadResult | undefined;

function finder(results: readonly WorkloadResult[]): Finder {
  return (engine, workload) => results.find((r) => r.engine === engine && r.workload === workload && r.status === 'ok');
}

function peers(report: BenchReport): WorkloadResult[] {
  return report.results.filter((r) => r.engine !== SUBJECT && r.engine !== BASELINE && r.status === 'ok');
}

function ratioTarget(report: BenchReport, workload: string, ratio: number): TargetCheck {
  const target = `${workload} ≥ ${ratio.toFixed(1)}× best other engine`;
  const ours = finder(report.results)(SUBJECT, workload);
  const best = peers(report).filter((r) => r.workload === workload).sort((a, b) => b.opsPerSec - a.opsPerSec)[0];
  if (best === undefined) return { target, measured: ours === undefined ? 'not measured' : formatRate(ours.opsPerSec), reference: 'no other engine measured', status: 'n/a' };
  const reference = `${best.engine} ${formatRate(best.opsPerSec)} ops/s`;
  if (ours === undefined) return { target, measured: `not measured (${noteOf(report, workload)})`, reference, status: 'fail' };
  const achieved = ours.opsPerSec / best.opsPerSec;
  return { target, measured: `${formatRate(ours.opsPerSec)} ops/s = ${achieved.toFixed(2)}×`, reference, status: achieved >= ratio ? 'pass' : 'fail' };
}

function noteOf(report: BenchReport, workload: string): string {
  const row = report.results.find((r) => r.engine === SUBJECT && r.workload === workload);
  return row === undefined ? 'not run' : `${row.status}${row.note === undefined ? '' : `: ${row.note.split('\n')[0] ?? ''}`}`;
}

function fillSyncTarget(report: BenchReport): TargetCheck {
  const target = 'fillsync (1 writer) ≥ 0.9× the fdatasync limit';
  const ours = finder(report.results)(SUBJECT, 'fillsync');
  const limit = report.limits?.fdatasyncPerSec;
  if (limit === undefined) return { target, measured: '–', reference: 'limits not measured', status: 'n/a' };
  const reference = `${formatRate(limit)} fdatasync/s`;
  if (ours === undefined) return { target, measured: 'not measured', reference, status: 'fail' };
  const achieved = ours.opsPerSec / limit;
  return { target, measured: `${formatRate(ours.opsPerSec)} ops/s = ${achieved.toFixed(2)}×`, reference, status: achieved >= 0.9 ? 'pass' : 'fail' };
}

function concurrentSyncTarget(find: Finder): TargetCheck {
  const target = 'fillsync with concurrent writers ≥ 10× kv\'s single-writer rate';
  const single = find(SUBJECT, 'fillsync');
  const many = find(SUBJECT, 'fillsync-concurrent');
  if (single === undefined || many === undefined) return { target, measured: 'not measured', reference: '–', status: 'fail' };
  const achieved = many.opsPerSec / single.opsPerSec;
  return {
    target,
    measured: `${formatRate(many.opsPerSec)} ops/s = ${achieved.toFixed(1)}×`,
    reference: `1 writer: ${formatRate(single.opsPerSec)} ops/s`,
    status: achieved >= 10 ? 'pass' : 'fail',
  };
}

function readWhileWritingTarget(find: Finder): TargetCheck {
  const target = 'readwhilewriting read p99 < 1 ms';
  const ours = find(SUBJECT, 'readwhilewriting');
  if (ours?.latency === undefined) return { target, measured: 'not measured', reference: '1,000 µs', status: 'fail' };
  return { target, measured: `${formatMicros(ours.latency.p99Us)} µs`, reference: '1,000 µs', status: ours.latency.p99Us < 1000 ? 'pass' : 'fail' };
}

function rssTargets(report: BenchReport, find: Finder): TargetCheck[] {
  const budget = report.settings.smallBudgetBytes;
  const small = find(SUBJECT, 'ltm-readrandom');
  const smallTarget = `peak RSS ≤ memoryBudget + 64 MiB (larger-than-memory run, budget ${formatMiB(budget)})`;
  const smallCheck: TargetCheck = small === undefined
    ? { target: smallTarget, measured: 'not measured', reference: formatMiB(budget + 64 * MIB), status: 'fail' }
    : { target: smallTarget, measured: formatMiB(small.peakRssBytes), reference: formatMiB(budget + 64 * MIB), status: small.peakRssBytes <= budget + 64 * MIB ? 'pass' : 'fail' };
  const peakOf = (engine: string): number => Math.max(0, ...report.results.filter((r) => r.engine === engine && r.status === 'ok' && !r.workload.startsWith('ltm-')).map((r) => r.peakRssBytes));
  const peerPeaks = [...new Set(peers(report).map((r) => r.engine))].map((engine) => ({ engine, peak: peakOf(engine) })).filter((p) => p.peak > 0);
  const best = peerPeaks.sort((a, b) => a.peak - b.peak)[0];
  const ours = peakOf(SUBJECT);
  const defaultTarget = 'peak RSS at the default budget ≤ best other engine (max over the default-budget jobs)';
  const defaultCheck: TargetCheck = best === undefined || ours === 0
    ? { target: defaultTarget, measured: ours === 0 ? 'not measured' : formatMiB(ours), reference: 'no other engine measured', status: 'n/a' }
    : { target: defaultTarget, measured: formatMiB(ours), reference: `${best.engine} ${formatMiB(best.peak)}`, status: ours <= best.peak ? 'pass' : 'fail' };
  return [smallCheck, defaultCheck];
}

function spaceTarget(find: Finder, workload: string, bound: number, label: string): TargetCheck {
  const target = `${label} ≤ ${bound.toFixed(2)} (after full compaction)`;
  const space = find(SUBJECT, workload)?.space;
  const value = space?.afterCompaction ?? space?.afterFill;
  if (space === undefined || value === undefined) return { target, measured: 'not measured', reference: '–', status: 'fail' };
  return { target, measured: `${formatRatio(value)} (after fill ${formatRatio(space.afterFill)}; ${space.compaction})`, reference: bound.toFixed(2), status: value <= bound ? 'pass' : 'fail' };
}

function reopenTarget(find: Finder): TargetCheck {
  const target = 'reopen ≤ 50 ms (after fillrandom)';
  const reopen = find(SUBJECT, 'fillrandom')?.reopenMs;
  if (reopen === undefined) return { target, measured: 'not measured', reference: '50 ms', status: 'fail' };
  return { target, measured: `${reopen.toFixed(1)} ms`, reference: '50 ms', status: reopen <= 50 ? 'pass' : 'fail' };
}
