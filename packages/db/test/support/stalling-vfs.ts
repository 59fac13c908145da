/** A Vfs over a MemoryVfs whose page-file syncs wait until `release()`. */
import type { MemoryVfs, Vfs, VfsFile } from '@kv/vfs';

/**
 * Every page file's `sync` waits until `release()`, so a flush cannot finish: writers meet
 * backpressure, and the WAL segments of frozen memtables stay on disk.
 */
export function stallingVfs(inner: MemoryVfs): { vfs: Vfs; release: () => void } {
  let release = (): void => undefined;
  const blocked = new Promise<void>((resolve) => (release = resolve));
  const vfs: Vfs = Object.create(inner) as Vfs;
  vfs.open = async (path, options) => {
    const file = await inner.open(path, options);
    if (!path.endsWith('.sst')) return file;
    const wrapped: VfsFile = Object.create(file) as VfsFile;
    wrapped.sync = async () => {
      await blocked;
      await file.sync();
    };
    return wrapped;
  };
  return { vfs, release };
}
