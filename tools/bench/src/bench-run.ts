/**
 * The parent's loop: measure the machine, then for each engine probe that it loads and run its
 * jobs one child at a time (the machine has two cores, so engines never run side by side).
 * Failures become rows with a reason, never a stop.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { BenchReport, EngineSummary } from './bench-report.js';
import { jobsFor } from './bench-plan.js';
import type { BenchPlan } from './bench-plan.js';
import { runChild } from './child-process.js';
import type { FinalMessage } from './child-message.js';
import type { EngineFactory } from './engines/engine-adapter.js';
import { UNINSTALLABLE_ENGINES } from './engines/engine-registry.js';
import type { BenchFlags } from './flags.js';
import { MACHINE_ENGINE, PROBE_JOB } from './job.js';
import type { BenchJob } from './job.js';
import { describeMachine } from './machine-info.js';
import type { MachineLimits } from './machine-limits.js';
import type { ProgressLine } from './progress-line.js';
import type { BenchSettings } from './settings.js';
import type { JobSpec } from './workloads/workload-catalog.js';
import { emptyResult } from './workload-result.js';
import type { WorkloadResult } from './workload-result.js';

export interface RunContext {
  flags: BenchFlags;
  plan: BenchPlan;
  scratchDir: string;
  progress: ProgressLine;
  command: string;
}

export async function runBench(run: RunContext): Promise<BenchReport> {
  const startedAt = new Date();
  const limits = run.flags.measureLimits ? await measureLimits(run) : undefined;
  const engines: EngineSummary[] = [];
  const results: WorkloadResult[] = [];
  for (const engine of run.plan.engines) {
    const outcome = await runEngine(run, engine);
    engines.push(outcome.summary);
    results.push(...outcome.results);
    if (!run.flags.keep) rmSync(join(run.scratchDir, engine.name), { recursive: true, force: true });
  }
  for (const missing of UNINSTALLABLE_ENGINES) {
    engines.push({ name: missing.name, packageName: missing.packageName, notes: '', status: 'not installable', reason: missing.reason });
  }
  return {
    formatVersion: 1,
    command: run.command,
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    quick: run.flags.quick,
    machine: describeMachine(run.scratchDir),
    settings: run.flags.settings,
    limits,
    engines,
    results,
  };
}

async function measureLimits(run: RunContext): Promise<MachineLimits | undefined> {
  run.progress.begin('machine limits');
  const message = await runChild(job(run, MACHINE_ENGINE, 'limits', join(run.scratchDir, 'machine'), 0), { timeoutMs: 120_000, onProgress: () => {} });
  if (message.type === 'limits') {
    run.progress.end(`${message.limits.sequentialWriteMBps.toFixed(0)} MB/s sequential, fdatasync p50 ${message.limits.fdatasyncP50Us.toFixed(0)} µs`);
    return message.limits;
  }
  run.progress.end(`failed: ${describeFailure(message)}`);
  return undefined;
}

async function runEngine(run: RunContext, engine: EngineFactory): Promise<{ summary: EngineSummary; results: WorkloadResult[] }> {
  const base = { name: engine.name, packageName: engine.packageName, notes: engine.notes };
  const engineDir = join(run.scratchDir, engine.name);
  mkdirSync(engineDir, { recursive: true });
  const specs = jobsFor(run.plan, engine);
  run.progress.begin(`${engine.name} load`);
  const probe = await runChild(job(run, engine.name, PROBE_JOB, join(engineDir, 'probe'), 0), { timeoutMs: 60_000, onProgress: () => {} });
  if (probe.type !== 'probe') {
    const reason = `failed to load: ${describeFailure(probe)}`;
    run.progress.end(reason);
    return { summary: { ...base, status: 'failed to load', reason }, results: specs.flatMap((spec) => spec.workloads.map((w) => emptyResult(engine.name, w, 'failed', reason))) };
  }
  run.progress.end(`loads (open ${probe.openMs.toFixed(0)} ms)`);
  const results: WorkloadResult[] = [];
  let loadedCount = 0;
  let datasetProblem: string | undefined;
  for (const spec of specs) {
    if (spec.directory === 'dataset' && spec.job !== 'fillrandom' && datasetProblem !== undefined) {
      results.push(...spec.workloads.map((w) => emptyResult(engine.name, w, 'failed', datasetProblem ?? '')));
      continue;
    }
    const dir = join(engineDir, spec.directory === 'dataset' ? 'dataset' : spec.job);
    const jobResults = await runJob(run, engine, spec, job(run, engine.name, spec.job, dir, loadedCount));
    results.push(...jobResults);
    if (spec.job === 'fillrandom') {
      const fill = jobResults[0];
      loadedCount = fill?.status === 'ok' ? fill.ops : 0;
      datasetProblem = loadedCount > 0 ? undefined : `no data set: fillrandom ${fill?.status ?? 'missing'}${fill?.note === undefined ? '' : ` (${fill.note})`}`;
    }
    if (spec.directory === 'fresh' && !run.flags.keep) rmSync(dir, { recursive: true, force: true });
  }
  return { summary: { ...base, status: 'ran', reason: undefined }, results };
}

async function runJob(run: RunContext, engine: EngineFactory, spec: JobSpec, benchJob: BenchJob): Promise<WorkloadResult[]> {
  run.progress.begin(`${engine.name} ${spec.job}`);
  const message = await runChild(benchJob, {
    timeoutMs: jobTimeoutMs(run.flags.settings),
    onProgress: (ops, total) => run.progress.update(ops, total),
    nodeArgs: run.flags.childNodeArgs,
  });
  if (message.type !== 'results') {
    const reason = describeFailure(message);
    run.progress.end(`failed: ${reason.split('\n')[0] ?? ''}`);
    return spec.workloads.map((w) => emptyResult(engine.name, w, 'failed', reason));
  }
  run.progress.end(message.results.map(summarize).join('; '));
  return message.results;
}

function summarize(result: WorkloadResult): string {
  if (result.status !== 'ok') return `${result.workload} ${result.status}${result.note === undefined ? '' : ` (${result.note.split('\n')[0] ?? ''})`}`;
  const rate = Math.round(result.opsPerSec).toLocaleString('en-US');
  return `${result.workload} ${rate} ops/s, p99 ${result.latency?.p99Us ?? 0} µs${result.capped ? ' (capped)' : ''}`;
}

/** Generous: a child is killed only when it is clearly stuck, never for being slow. */
function jobTimeoutMs(settings: BenchSettings): number {
  return (2 * (settings.fillSeconds * 2 + settings.phaseSeconds * 2) + 120) * 1000;
}

function job(run: RunContext, engine: string, workload: string, dir: string, loadedCount: number): BenchJob {
  return { engine, workload, dir, settings: run.flags.settings, loadedCount };
}

function describeFailure(message: FinalMessage): string {
  return message.type === 'error' ? message.message : `unexpected ${message.type} message`;
}
