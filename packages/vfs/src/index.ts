export { MemoryVfs } from './memory-vfs.js';
export type { CrashMode, CrashOptions } from './crash-image.js';
export type { FaultError, FaultKind, FaultOperation, FaultSpec } from './fault-plan.js';
export type { MemoryOperation, MemoryOperationKind, MemoryOperationListener } from './memory-device.js';
export { NodeVfs, nodeVfs } from './node-vfs.js';
export type { FileStat, OpenOptions, ReadRequest, Vfs, VfsFile, VfsLock, WriteRequest } from './vfs.js';
