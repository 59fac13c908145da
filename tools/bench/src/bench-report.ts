/**
 * The whole run as one JSON document: what ran where, with which settings, the machine's
 * limits, every engine's status and every workload's figures. The markdown table, the chart
 * and the target check are all derived from it.
 */
import type { MachineInfo } from './machine-info.js';
import type { MachineLimits } from './machine-limits.js';
import type { BenchSettings } from './settings.js';
import type { WorkloadResult } from './workload-result.js';

export type EngineStatus = 'ran' | 'failed to load' | 'not installable';

export interface EngineSummary {
  name: string;
  packageName: string;
  notes: string;
  status: EngineStatus;
  reason: string | undefined;
}

export interface BenchReport {
  formatVersion: 1;
  command: string;
  startedAt: string;
  durationSeconds: number;
  quick: boolean;
  machine: MachineInfo;
  settings: BenchSettings;
  limits: MachineLimits | undefined;
  engines: EngineSummary[];
  results: WorkloadResult[];
}
