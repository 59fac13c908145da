import { InvalidArgumentError } from '@kv/base';
import { osError } from './vfs-error.js';

/** The operations a fault can target. `read` includes `readFile`; `stat` includes `size()`. */
export type FaultOperation =
  | 'open' | 'read' | 'write' | 'sync' | 'syncDir' | 'rename' | 'link' | 'unlink'
  | 'truncate' | 'mkdir' | 'rmdir' | 'list' | 'stat';

export type FaultKind = FaultOperation | 'any';

/** EIO becomes `IoError` with `osCode: 'EIO'`; ENOSPC becomes `NoSpaceError`. */
export type FaultError = 'EIO' | 'ENOSPC';

export interface FaultSpec {
  kind: FaultKind;
  /** 1-based, counted over operations of `kind` attempted after `failOperation` was called. */
  nth: number;
  error: FaultError;
  /** Fail every matching operation from the nth on, until `clearFaults()`. Default false. */
  persistent?: boolean;
  /**
   * Only operations on a path ending with this count and fail (`'.sst'`: page files only);
   * a rename or link matches on either of its paths. Default: every path.
   */
  pathSuffix?: string;
  /**
   * For a failed file `sync`: the device also forgets the file's unsynced changes, as Linux
   * does after a failed fdatasync (it marks the dirty pages clean without writing them). They
   * stay readable until a power loss, but no later sync makes them durable. Default false: the
   * changes stay pending and a later sync may still make them durable.
   */
  loseUnsynced?: boolean;
}

interface ArmedFault {
  readonly spec: FaultSpec;
  seen: number;
}

/** The injected faults of one `MemoryVfs`. A failed operation changes nothing. */
export class FaultPlan {
  private faults: ArmedFault[] = [];

  add(spec: FaultSpec): void {
    if (!Number.isSafeInteger(spec.nth) || spec.nth < 1) {
      throw new InvalidArgumentError('failOperation', `nth must be a positive integer, got ${spec.nth}`);
    }
    this.faults.push({ spec: { ...spec }, seen: 0 });
  }

  clear(): void {
    this.faults = [];
  }

  /**
   * Counts one attempt of `operation` against every armed fault and throws if one of them is
   * due, after passing its spec to `onFire` (for effects of the failure beyond the error).
   * Every matching fault counts the attempt, even when an earlier one fires.
   */
  check(operation: FaultOperation, where: string, path: string, otherPath?: string, onFire?: (spec: FaultSpec) => void): void {
    let due: ArmedFault | undefined;
    for (const fault of this.faults) {
      if (fault.spec.kind !== operation && fault.spec.kind !== 'any') continue;
      if (!onPath(fault.spec, path, otherPath)) continue;
      fault.seen += 1;
      const fires = fault.spec.persistent === true ? fault.seen >= fault.spec.nth : fault.seen === fault.spec.nth;
      if (fires && due === undefined) due = fault;
    }
    this.faults = this.faults.filter((fault) => fault.spec.persistent === true || fault.seen < fault.spec.nth);
    if (due === undefined) return;
    onFire?.(due.spec);
    throw osError(`${where} (injected fault)`, due.spec.error);
  }
}

function onPath(spec: FaultSpec, path: string, otherPath: string | undefined): boolean {
  const suffix = spec.pathSuffix;
  if (suffix === undefined) return true;
  return path.endsWith(suffix) || (otherPath !== undefined && otherPath.endsWith(suffix));
}
