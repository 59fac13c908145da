import { checkByteCount } from './check-argument.js';
import type { FaultOperation, FaultSpec } from './fault-plan.js';
import type { MemoryDevice } from './memory-device.js';
import { forgetUnsyncedChanges, syncFileNode, truncateFileNode, writeFileNode } from './memory-node.js';
import type { FileNode } from './memory-node.js';
import type { ReadRequest, VfsFile, WriteRequest } from './vfs.js';
import { osError } from './vfs-error.js';

/**
 * An open in-memory file. Like a real descriptor it points at the inode, not the name: it
 * keeps working after the file is renamed or unlinked. It fails with EBADF once closed or once
 * its `MemoryVfs` crashed.
 */
export class MemoryFile implements VfsFile {
  readonly path: string;
  private readonly device: MemoryDevice;
  private readonly node: FileNode;
  private readonly writable: boolean;
  private readonly generation: number;
  private closed = false;

  constructor(device: MemoryDevice, node: FileNode, path: string, writable: boolean) {
    this.device = device;
    this.node = node;
    this.path = path;
    this.writable = writable;
    this.generation = device.generation;
  }

  readSync(request: ReadRequest): number {
    this.begin('read', request.position, false);
    return this.node.current.read(request.position, request.buffer);
  }

  writeSync(request: WriteRequest): void {
    const where = this.begin('write', request.position, true);
    const change = writeFileNode(where, this.node, request.position, request.data);
    this.device.record('write', this.path, undefined, change === undefined ? { file: this.node } : { file: this.node, change });
  }

  async read(request: ReadRequest): Promise<number> {
    return this.readSync(request);
  }

  async write(request: WriteRequest): Promise<void> {
    this.writeSync(request);
  }

  /** A failed (injected) sync leaves the durable content and the pending changes as they were. */
  async sync(): Promise<void> {
    this.syncContent();
  }

  syncBlocking(): void {
    this.syncContent();
  }

  async size(): Promise<number> {
    this.begin('stat', 0, false);
    return this.node.current.length;
  }

  async truncate(sizeBytes: number): Promise<void> {
    const where = this.begin('truncate', sizeBytes, true);
    const change = truncateFileNode(where, this.node, sizeBytes);
    this.device.record('truncate', this.path, undefined, { file: this.node, change });
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  /** Checks the argument, the handle and the injected faults, in that order. */
  private begin(operation: FaultOperation, byteCount: number, needsWrite: boolean, onFault?: (spec: FaultSpec) => void): string {
    const where = `${operation} ${this.path}`;
    checkByteCount(where, 'position or size', byteCount);
    if (this.closed || this.generation !== this.device.generation) throw osError(where, 'EBADF');
    if (needsWrite && !this.writable) throw osError(where, 'EBADF');
    this.device.faults.check(operation, where, this.path, undefined, onFault);
    return where;
  }

  /**
   * What both syncs do: the un-synced changes become durable content. A failed sync whose
   * fault says `loseUnsynced` makes the device forget them instead (see `FaultSpec`).
   */
  private syncContent(): void {
    this.begin('sync', 0, false, (spec) => {
      if (spec.loseUnsynced === true) forgetUnsyncedChanges(this.node);
    });
    syncFileNode(this.node);
    this.device.record('sync', this.path, undefined, { file: this.node });
  }
}
