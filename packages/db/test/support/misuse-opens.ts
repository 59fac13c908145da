/** Opens that misuse rows make beside the seeded database, each closed again before it returns. */
import { DB } from '../../src/index.js';
import type { ReadOnlyDB } from '../../src/index.js';
import type { MisuseContext } from './misuse-seed.js';

/**
 * Opens with `options` (writable or read-only, or anything a caller might pass) and closes
 * again at once, so a wrongly accepted open leaks no lock.
 */
export async function openAndClose(dir: string, options?: unknown): Promise<void> {
  const open = DB.open.bind(DB) as (location: string, options?: unknown) => Promise<{ close(): Promise<void> }>;
  const db = await open(dir, options);
  await db.close();
}

/** Runs `use` on a read-only open of the seeded directory, closing it afterwards. */
export async function withReadOnly(ctx: MisuseContext, use: (reader: ReadOnlyDB) => unknown): Promise<unknown> {
  const reader = await openReadOnly(ctx);
  try {
    return await use(reader);
  } finally {
    await reader.close();
  }
}

export function openReadOnly(ctx: MisuseContext): Promise<ReadOnlyDB> {
  return DB.open(ctx.dir, { ...ctx.options, readOnly: true });
}
