/**
 * The kernel's per-process counters a child reports: bytes it caused to be written to the
 * storage layer (/proc/self/io `write_bytes`, counted when a page is dirtied, so it includes
 * the engine's background threads and excludes the page cache's later merging) and its peak
 * resident set size.
 */
import { readFileSync } from 'node:fs';

export interface IoCounters {
  writeBytes: number;
  cancelledWriteBytes: number;
  /** Bytes passed to write-like system calls, whether or not they reached the disk. */
  writeCallBytes: number;
}

/** Reads /proc/self/io; on a system without it every counter is NaN (reported, not hidden). */
export function readIoCounters(): IoCounters {
  let text: string;
  try {
    text = readFileSync('/proc/self/io', 'utf8');
  } catch {
    return { writeBytes: Number.NaN, cancelledWriteBytes: Number.NaN, writeCallBytes: Number.NaN };
  }
  return {
    writeBytes: readField(text, 'write_bytes'),
    cancelledWriteBytes: readField(text, 'cancelled_write_bytes'),
    writeCallBytes: readField(text, 'wchar'),
  };
}

/** Peak resident set size of this process so far (getrusage ru_maxrss), in bytes. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

function readField(text: string, name: string): number {
  const match = new RegExp(`^${name}:\\s*(\\d+)`, 'm').exec(text);
  return match?.[1] === undefined ? Number.NaN : Number(match[1]);
}
