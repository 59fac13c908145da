/**
 * Arming a `MemoryVfs` fault at the moment a step begins. Faults count operations of a kind, not
 * moments, so a test arms its fault from an `onOperation` listener that watches for the first operation of
 * the step under test (for example the creation of a page file). The operation order the
 * fault tests rely on, observed with `onOperation`, is:
 *   put:        write NNNNNN.log [sync NNNNNN.log when sync: true]
 *   next segment, once the active memtable is half full: create/write/sync new .log, syncDir
 *   switch:     sync old .log (after cutting its preallocated zeros, if any)
 *   flush:      create .sst, write .sst, sync .sst, syncDir, write MANIFEST, sync MANIFEST, unlink old .log
 *   compaction: create .sst, write .sst, sync .sst, syncDir, write MANIFEST, sync MANIFEST, unlink inputs
 * "Space returns" is `clearFaults()` after a persistent fault.
 */
import type { FaultSpec, MemoryOperation, MemoryVfs } from '@kv/vfs';

/** Arms `spec` once, synchronously after the first operation `matches` accepts took effect. */
export function armWhen(vfs: MemoryVfs, matches: (operation: MemoryOperation) => boolean, spec: FaultSpec): { readonly armed: boolean } {
  const state = { armed: false };
  const unsubscribe = vfs.onOperation((operation) => {
    if (state.armed || !matches(operation)) return;
    state.armed = true;
    unsubscribe();
    vfs.failOperation(spec);
  });
  return state;
}

/** Matches an operation of `kind` on a page file. */
export const pageFile = (kind: MemoryOperation['kind']) => (operation: MemoryOperation): boolean => operation.kind === kind && operation.path.endsWith('.sst');
