import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { checkByteCount } from './check-argument.js';
import type { ReadRequest, VfsFile, WriteRequest } from './vfs.js';
import { fromNodeError, osError } from './vfs-error.js';

const readAsync = promisify(fs.read);
const writeAsync = promisify(fs.write);
const fdatasyncAsync = promisify(fs.fdatasync);
const fstatAsync = promisify(fs.fstat);
const ftruncateAsync = promisify(fs.ftruncate);
const closeAsync = promisify(fs.close);

/**
 * A `VfsFile` over a numeric file descriptor. After `close()` every call fails with EBADF
 * before reaching the OS, because the descriptor number may already belong to another file.
 */
export class NodeFile implements VfsFile {
  readonly path: string;
  private readonly fd: number;
  private closed = false;

  constructor(path: string, fd: number) {
    this.path = path;
    this.fd = fd;
  }

  /** Fills as much of `buffer` as the file holds from `position`: short only at end of file. */
  async read(request: ReadRequest): Promise<number> {
    const where = this.check('read', request.position);
    const { buffer, position } = request;
    let done = 0;
    try {
      while (done < buffer.length) {
        const { bytesRead } = await readAsync(this.fd, buffer, done, buffer.length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (error) {
      throw fromNodeError(where, error);
    }
    return done;
  }

  readSync(request: ReadRequest): number {
    const where = this.check('read', request.position);
    const { buffer, position } = request;
    let done = 0;
    try {
      while (done < buffer.length) {
        const bytesRead = fs.readSync(this.fd, buffer, done, buffer.length - done, position + done);
        if (bytesRead === 0) break;
        done += bytesRead;
      }
    } catch (error) {
      throw fromNodeError(where, error);
    }
    return done;
  }

  /** Loops because the OS may accept fewer bytes than asked (short writes). */
  async write(request: WriteRequest): Promise<void> {
    const where = this.check('write', request.position);
    const { data, position } = request;
    let done = 0;
    try {
      while (done < data.length) {
        const { bytesWritten } = await writeAsync(this.fd, data, done, data.length - done, position + done);
        done += bytesWritten;
      }
    } catch (error) {
      throw fromNodeError(where, error);
    }
  }

  writeSync(request: WriteRequest): void {
    const where = this.check('write', request.position);
    const { data, position } = request;
    let done = 0;
    try {
      while (done < data.length) {
        done += fs.writeSync(this.fd, data, done, data.length - done, position + done);
      }
    } catch (error) {
      throw fromNodeError(where, error);
    }
  }

  async sync(): Promise<void> {
    const where = this.check('sync', 0);
    try {
      await fdatasyncAsync(this.fd);
    } catch (error) {
      throw fromNodeError(where, error);
    }
  }

  syncBlocking(): void {
    const where = this.check('sync', 0);
    try {
      fs.fdatasyncSync(this.fd);
    } catch (error) {
      throw fromNodeError(where, error);
    }
  }

  async size(): Promise<number> {
    const where = this.check('size', 0);
    try {
      return (await fstatAsync(this.fd)).size;
    } catch (error) {
      throw fromNodeError(where, error);
    }
  }

  async truncate(sizeBytes: number): Promise<void> {
    const where = this.check('truncate', sizeBytes);
    try {
      await ftruncateAsync(this.fd, sizeBytes);
    } catch (error) {
      throw fromNodeError(where, error);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await closeAsync(this.fd);
    } catch (error) {
      throw fromNodeError(`close ${this.path}`, error);
    }
  }

  /** Validates the byte count and the handle; returns the label errors carry. */
  private check(operation: string, byteCount: number): string {
    const where = `${operation} ${this.path}`;
    checkByteCount(where, 'position or size', byteCount);
    if (this.closed) throw osError(where, 'EBADF');
    return where;
  }
}
