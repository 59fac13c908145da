/**
 * A description of the machine for the report: CPU, memory, Node, and the file system and
 * device that hold the scratch directory (from /proc/mounts and /sys/block).
 */
import { readFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { resolve } from 'node:path';

export interface MachineInfo {
  cpuModel: string;
  cpuCount: number;
  memoryBytes: number;
  node: string;
  kernel: string;
  /** File system type, device and whether the device says it is rotational. */
  disk: string;
}

export function describeMachine(scratchDir: string): MachineInfo {
  const list = cpus();
  return {
    cpuModel: list[0]?.model.trim() ?? 'unknown',
    cpuCount: list.length,
    memoryBytes: totalmem(),
    node: process.version,
    kernel: `${process.platform} ${release()}`,
    disk: describeDisk(resolve(scratchDir)),
  };
}

function describeDisk(path: string): string {
  let mounts: string;
  try {
    mounts = readFileSync('/proc/mounts', 'utf8');
  } catch {
    return 'unknown (no /proc/mounts)';
  }
  let best: { device: string; mountPoint: string; type: string } | undefined;
  for (const line of mounts.split('\n')) {
    const [device, mountPoint, type] = line.split(' ');
    if (device === undefined || mountPoint === undefined || type === undefined) continue;
    const covers = path === mountPoint || path.startsWith(mountPoint === '/' ? '/' : `${mountPoint}/`);
    if (covers && (best === undefined || mountPoint.length > best.mountPoint.length)) best = { device, mountPoint, type };
  }
  if (best === undefined) return 'unknown';
  return `${best.type} on ${best.device} (mounted at ${best.mountPoint}${rotational(best.device)})`;
}

function rotational(device: string): string {
  const name = device.replace(/^\/dev\//, '').replace(/p?\d+$/, '');
  try {
    const flag = readFileSync(`/sys/block/${name}/queue/rotational`, 'utf8').trim();
    // Virtual disks often report 1 whatever backs them, so this quotes the kernel, no more.
    return flag === '0' ? ', kernel reports non-rotational' : ', kernel reports rotational';
  } catch {
    return '';
  }
}
