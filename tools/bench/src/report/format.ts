/** Number formatting shared by the markdown table and the chart. */

/** Ops/s with thousands separators, or in k/M for large rates. */
export function formatRate(opsPerSec: number): string {
  if (!Number.isFinite(opsPerSec) || opsPerSec <= 0) return '–';
  if (opsPerSec >= 10_000_000) return `${(opsPerSec / 1e6).toFixed(1)}M`;
  if (opsPerSec >= 100_000) return `${Math.round(opsPerSec / 1000).toLocaleString('en-US')}k`;
  return Math.round(opsPerSec).toLocaleString('en-US');
}

/** Microseconds with sensible precision: 0.83 µs, 12.4 µs, 1,530 µs. */
export function formatMicros(us: number): string {
  if (!Number.isFinite(us)) return '–';
  if (us < 10) return us.toFixed(2);
  if (us < 100) return us.toFixed(1);
  return Math.round(us).toLocaleString('en-US');
}

export function formatMiB(bytes: number): string {
  return `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
}

export function formatRatio(value: number | undefined): string {
  return value === undefined || !Number.isFinite(value) ? '–' : value.toFixed(2);
}
