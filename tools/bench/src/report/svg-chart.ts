/**
 * The at-a-glance chart: one group of horizontal bars per workload, one bar per engine, on a
 * log scale of ops/s, with the machine's physical limit as a black tick in each group.
 */
import type { BenchReport } from '../bench-report.js';
import { WORKLOAD_ORDER } from '../workloads/workload-catalog.js';
import { formatRate } from './format.js';
import { physicalLimit } from './physical-limit.js';

const COLORS = ['#d62728', '#4477aa', '#228833', '#ccbb44', '#66ccee', '#aa3377', '#777777', '#ee7733'];
const WIDTH = 980;
const LABEL_X = 170;
const PLOT_LEFT = 180;
const PLOT_RIGHT = 900;
const BAR = 7;
const BAR_STEP = 9;
const GROUP_GAP = 12;
const TOP = 78;

interface Scale {
  minLog: number;
  maxLog: number;
  x: (value: number) => number;
}

export function renderSvg(report: BenchReport): string {
  const engines = report.engines.filter((e) => e.status !== 'not installable').map((e) => e.name);
  const workloads = WORKLOAD_ORDER.filter((w) => report.results.some((r) => r.workload === w));
  const scale = logScale(report);
  const groupHeight = engines.length * BAR_STEP + GROUP_GAP;
  const height = TOP + workloads.length * groupHeight + 40;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${WIDTH}" height="${height}" fill="#ffffff"/>`,
    `<text x="${WIDTH / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title(report))}</text>`,
    renderLegend(engines),
    renderGrid(scale, height),
    ...workloads.map((workload, i) => renderGroup(report, { workload, engines, scale, top: TOP + i * groupHeight })),
    '</svg>',
  ];
  return `${parts.join('\n')}\n`;
}

function title(report: BenchReport): string {
  const s = report.settings;
  return `ops/s per workload, log scale (higher is better): ${s.keyCount.toLocaleString('en-US')} records of ${s.keyBytes} + ${s.valueBytes} bytes${report.quick ? ', quick mode' : ''}`;
}

function logScale(report: BenchReport): Scale {
  const rates = report.results.filter((r) => r.status === 'ok' && r.opsPerSec > 0).map((r) => r.opsPerSec);
  if (report.limits !== undefined) {
    for (const workload of WORKLOAD_ORDER) {
      const limit = physicalLimit(workload, report.limits, report.settings);
      if (limit !== undefined) rates.push(limit.opsPerSec);
    }
  }
  const minLog = Math.floor(Math.log10(Math.max(1, Math.min(...rates, 1e3))));
  const maxLog = Math.max(minLog + 1, Math.ceil(Math.log10(Math.max(...rates, 10))));
  const x = (value: number): number => PLOT_LEFT + ((Math.log10(Math.max(value, 10 ** minLog)) - minLog) / (maxLog - minLog)) * (PLOT_RIGHT - PLOT_LEFT);
  return { minLog, maxLog, x };
}

function renderLegend(engines: readonly string[]): string {
  const items = [...engines.map((engine, i) => ({ label: engine, color: COLORS[i % COLORS.length] ?? '#000', tick: false })), { label: 'physical limit', color: '#000', tick: true }];
  return items.map((item, i) => {
    const x = PLOT_LEFT + i * 112;
    const mark = item.tick
      ? `<line x1="${x + 5}" y1="34" x2="${x + 5}" y2="46" stroke="#000" stroke-width="2"/>`
      : `<rect x="${x}" y="35" width="11" height="11" fill="${item.color}"/>`;
    return `${mark}<text x="${x + 15}" y="45">${escapeXml(item.label)}</text>`;
  }).join('\n');
}

function renderGrid(scale: Scale, height: number): string {
  const lines: string[] = [];
  for (let power = scale.minLog; power <= scale.maxLog; power++) {
    const x = scale.x(10 ** power).toFixed(1);
    lines.push(`<line x1="${x}" y1="${TOP - 8}" x2="${x}" y2="${height - 30}" stroke="#dddddd"/>`);
    lines.push(`<text x="${x}" y="${height - 16}" text-anchor="middle" fill="#555">${formatDecade(power)}</text>`);
    lines.push(`<text x="${x}" y="${TOP - 12}" text-anchor="middle" fill="#555">${formatDecade(power)}</text>`);
  }
  return lines.join('\n');
}

interface GroupSpec {
  workload: string;
  engines: readonly string[];
  scale: Scale;
  top: number;
}

function renderGroup(report: BenchReport, group: GroupSpec): string {
  const parts = [`<text x="${LABEL_X}" y="${group.top + (group.engines.length * BAR_STEP) / 2 + 4}" text-anchor="end" font-weight="bold">${escapeXml(group.workload)}</text>`];
  group.engines.forEach((engine, i) => {
    const y = group.top + i * BAR_STEP;
    const result = report.results.find((r) => r.engine === engine && r.workload === group.workload);
    if (result === undefined) return;
    if (result.status !== 'ok' || result.opsPerSec <= 0) {
      parts.push(`<text x="${PLOT_LEFT + 3}" y="${y + BAR}" font-size="8" fill="#888">${escapeXml(`${engine}: ${result.status}`)}</text>`);
      return;
    }
    const width = Math.max(1, group.scale.x(result.opsPerSec) - PLOT_LEFT);
    parts.push(`<rect x="${PLOT_LEFT}" y="${y}" width="${width.toFixed(1)}" height="${BAR}" fill="${COLORS[i % COLORS.length] ?? '#000'}"><title>${escapeXml(`${engine} ${group.workload}: ${formatRate(result.opsPerSec)} ops/s`)}</title></rect>`);
    parts.push(`<text x="${(PLOT_LEFT + width + 3).toFixed(1)}" y="${y + BAR}" font-size="8" fill="#333" stroke="#fff" stroke-width="2" paint-order="stroke">${formatRate(result.opsPerSec)}</text>`);
  });
  const limit = report.limits === undefined ? undefined : physicalLimit(group.workload, report.limits, report.settings);
  if (limit !== undefined) {
    const x = group.scale.x(limit.opsPerSec).toFixed(1);
    parts.push(`<line x1="${x}" y1="${group.top - 2}" x2="${x}" y2="${group.top + group.engines.length * BAR_STEP}" stroke="#000" stroke-width="2"><title>${escapeXml(`physical limit ${formatRate(limit.opsPerSec)}/s: ${limit.basis}`)}</title></line>`);
  }
  return parts.join('\n');
}

function formatDecade(power: number): string {
  const suffixes = ['', 'k', 'M', 'G'];
  const group = Math.min(suffixes.length - 1, Math.floor(power / 3));
  return `${10 ** (power - group * 3)}${suffixes[group] ?? ''}`;
}

function escapeXml(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
