/**
 * Damage to one file of a database directory, each kind in one call, for corruption tests.
 * Offsets and lengths are clamped to the file, so any generated case applies.
 */
import type { Vfs } from '@kv/vfs';

export type Damage =
  | { kind: 'flip'; flips: readonly { offset: number; bit: number }[] }
  | { kind: 'zero'; offset: number; length: number }
  | { kind: 'truncate'; sizeBytes: number }
  | { kind: 'delete' };

/** Applies `damage` to the file at `path`; positions are taken modulo the file's size. */
export async function damageFile(vfs: Vfs, path: string, damage: Damage): Promise<void> {
  if (damage.kind === 'delete') {
    await vfs.unlink(path);
    return;
  }
  const file = await vfs.open(path, { write: true });
  try {
    const size = await file.size();
    if (damage.kind === 'truncate') {
      await file.truncate(size === 0 ? 0 : damage.sizeBytes % size);
    } else if (damage.kind === 'zero') {
      if (size === 0) return;
      const offset = damage.offset % size;
      await file.write({ data: new Uint8Array(Math.min(damage.length, size - offset)), position: offset });
    } else {
      for (const flip of damage.flips) {
        if (size === 0) return;
        const byte = new Uint8Array(1);
        const offset = flip.offset % size;
        await file.read({ buffer: byte, position: offset });
        byte[0] = (byte[0] as number) ^ (1 << flip.bit % 8);
        await file.write({ data: byte, position: offset });
      }
    }
  } finally {
    await file.close();
  }
}

/** A short form of a damage for test names and failure messages. */
export function describeDamage(damage: Damage): string {
  if (damage.kind === 'flip') return `flip ${damage.flips.map((f) => `${f.offset}:${f.bit}`).join(',')}`;
  if (damage.kind === 'zero') return `zero ${damage.offset}+${damage.length}`;
  if (damage.kind === 'truncate') return `truncate to ${damage.sizeBytes}`;
  return 'delete';
}
