import { mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { DB } from '../src/index.js';
import { expectCode } from './support/kv-error-code.js';
import { SEED_OPTIONS, seedKey } from './support/misuse-seed.js';
import { openAndClose, openReadOnly, withReadOnly } from './support/misuse-opens.js';
import { accepts, describeMisuse, expectIntact, fails } from './support/misuse-table.js';
import type { MisuseRow } from './support/misuse-table.js';
import { openFromOtherProcess, probeFromOtherProcess } from './support/other-process-open.js';
import { text } from './support/utf8.js';

// Goal: a second open of a locked directory (here, spelled differently, or in another
// process) is LOCKED, and a location that is no database directory fails with the documented
// code, without touching the user's files or any acknowledged data.
// Strategy: rows of the misuse table (support/misuse-table.ts): each row runs on a freshly
// seeded database and is followed by a check of every acknowledged write, also after reopen.
// Invariants: the database and a reopen of it hold exactly the seeded data plus what the row
// wrote on purpose (see support/misuse-table.ts).
// Pinned behaviours (decided from the code, see each row): a directory of unrelated files
// becomes a database alongside them (unknown names are never touched), while files carrying
// the engine's own names are the engine's (temporary names are deleted, a foreign WAL segment
// is CORRUPTION); a path below a regular file is IO_ERROR (ENOTDIR) from mkdir.

// ---------------------------------------------------------------------------------------
// Locks. (The rest of this group is in db-misuse-lifecycle.test.ts.)

const lockRows: MisuseRow[] = [
  fails('a second open of the same directory in one process', 'LOCKED', ({ dir, options }) => openAndClose(dir, options)),
  fails('a second open spelling the directory differently (/db/, /db//, db, /x/../db, //db)', 'LOCKED', ({ options }) =>
    allLocked(['/db/', '/db//', 'db', '/x/../db', '//db'], (spelling) => openAndClose(spelling, options)),
  ),
  fails('two opens of one new directory at once: exactly one wins', 'LOCKED', async ({ scratch, options }) => {
    const results = await Promise.allSettled([DB.open(`${scratch}/race`, options), DB.open(`${scratch}/race`, options)]);
    const opened = results.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    expect(opened).toHaveLength(1);
    for (const db of opened) await db.close();
    throw results.find((result) => result.status === 'rejected')?.reason;
  }),
  fails('DB.destroy of an open database', 'LOCKED', ({ dir, vfs }) => DB.destroy(dir, { vfs })),
  fails('DB.repair of an open database', 'LOCKED', ({ dir, vfs }) => DB.repair(dir, { vfs })),
  fails('a second open on disk: as is, as <dir>/, <dir>/., <dir>/../db, and through a symlink', 'LOCKED', ({ dir, scratch }) => {
    symlinkSync(dir, join(scratch, 'link'));
    return allLocked([dir, `${dir}/`, `${dir}/.`, `${dir}/../db`, join(scratch, 'link')], (spelling) => openAndClose(spelling, SEED_OPTIONS));
  }, { fs: 'disk' }),
  fails('an open from another process while this one holds the directory', 'LOCKED', ({ dir }) => openFromOtherProcess(dir), {
    fs: 'disk',
    then: async ({ db, dir }) => {
      // The failed attempt must not have broken the lock or left anything behind: once this
      // process closes, the other process opens normally.
      await db.close();
      expect(await probeFromOtherProcess(dir)).toEqual({ ok: true });
    },
  }),
];

/** Every spelling but the last must be LOCKED here; the last one's outcome goes to the row. */
async function allLocked(spellings: readonly string[], open: (spelling: string) => Promise<void>): Promise<void> {
  for (const spelling of spellings.slice(0, -1)) await expectCode(() => open(spelling), 'LOCKED');
  return open(spellings.at(-1) as string);
}

// ---------------------------------------------------------------------------------------
// Directories: not a database, a file, missing, read-only.

const USER_FILES: Record<string, string> = { 'notes.txt': 'my notes', 'data.log': 'an application log', 'photo.jpg': '\u00ff\u00d8 not really' };

const directoryRows: MisuseRow[] = [
  accepts('a directory of unrelated files becomes a database alongside them, and they stay untouched', async ({ temp }) => {
    const dir = join(temp(), 'mine');
    mkdirSync(join(dir, 'subdir'), { recursive: true });
    for (const [name, content] of Object.entries(USER_FILES)) writeFileSync(join(dir, name), content);
    const db = await DB.open(dir, SEED_OPTIONS);
    await db.put('k', 'v');
    await db.close();
    const again = await DB.open(dir, { ...SEED_OPTIONS, readOnly: true });
    expect(text(await again.get('k'))).toBe('v');
    await again.close();
    for (const [name, content] of Object.entries(USER_FILES)) expect(readFileSync(join(dir, name), 'utf8')).toBe(content);
    // DB.destroy removes the engine's files only, so the directory and the user's files stay.
    await DB.destroy(dir);
    expect(readdirSync(dir).sort()).toEqual([...Object.keys(USER_FILES), 'subdir'].sort());
  }),
  accepts('files carrying the engine’s temporary names (CURRENT.*, *.dbtmp) and a stray MANIFEST are the engine’s: open deletes them', async ({ temp }) => {
    const dir = join(temp(), 'named');
    mkdirSync(dir);
    for (const name of ['CURRENT.txt', 'upload.dbtmp', 'MANIFEST-000003', 'notes.txt']) writeFileSync(join(dir, name), 'user data');
    await openAndClose(dir, SEED_OPTIONS);
    const left = readdirSync(dir);
    expect(left).toContain('notes.txt');
    for (const name of ['CURRENT.txt', 'upload.dbtmp', 'MANIFEST-000003']) expect(left).not.toContain(name);
  }),
  ...[
    ['a foreign file named like a WAL segment (000007.log)', '000007.log'],
    ['a foreign file named like a page file (000009.sst) and no CURRENT', '000009.sst'],
    ['a foreign file named CURRENT', 'CURRENT'],
  ].map(([label, name]) =>
    fails(`opening a directory with ${label}: it is not replayed, deleted or rewritten`, 'CORRUPTION', ({ temp }) => {
      const dir = join(temp(), 'foreign');
      mkdirSync(dir);
      writeFileSync(join(dir, name as string), 'this is a user file, not a database file\n'.repeat(3));
      return openAndClose(dir, SEED_OPTIONS);
    }, {
      then: ({ temp }) => {
        expect(readFileSync(join(temp(), 'foreign', name as string), 'utf8')).toBe('this is a user file, not a database file\n'.repeat(3));
      },
    }),
  ),
  fails('a regular file as the location', 'INVALID_ARGUMENT', ({ temp }) => {
    writeFileSync(join(temp(), 'file'), 'x');
    return openAndClose(join(temp(), 'file'), SEED_OPTIONS);
  }, { then: ({ temp }) => expect(readFileSync(join(temp(), 'file'), 'utf8')).toBe('x') }),
  fails('a file of the database (CURRENT) as the location', 'INVALID_ARGUMENT', ({ dir, options }) => openAndClose(`${dir}/CURRENT`, options), { when: 'closed' }),
  fails('a regular file as the location, read-only', 'INVALID_ARGUMENT', ({ temp }) => {
    writeFileSync(join(temp(), 'file'), 'x');
    return openAndClose(join(temp(), 'file'), { ...SEED_OPTIONS, readOnly: true });
  }),
  fails('a regular file as the location in a MemoryVfs', 'INVALID_ARGUMENT', async ({ vfs, options }) => {
    const file = await vfs.open('/file', { create: true, write: true });
    await file.close();
    return openAndClose('/file', options);
  }),
  // mkdir under a regular file fails with ENOTDIR, which the vfs reports as an I/O error.
  fails('a location below a regular file', 'IO_ERROR', ({ temp }) => {
    writeFileSync(join(temp(), 'file'), 'x');
    return openAndClose(join(temp(), 'file', 'db'), SEED_OPTIONS);
  }),
  fails('a read-only open of a missing directory (nothing is created)', 'INVALID_ARGUMENT', ({ options }) => openAndClose('/missing', { ...options, readOnly: true }), {
    then: async ({ vfs }) => expect(await vfs.stat('/missing')).toBeUndefined(),
  }),
  fails('a read-only open of a missing directory on disk (nothing is created)', 'INVALID_ARGUMENT', ({ temp }) => openAndClose(join(temp(), 'missing'), { ...SEED_OPTIONS, readOnly: true }), {
    then: ({ temp }) => expect(readdirSync(temp())).toEqual([]),
  }),
  fails('a read-only open of an empty directory', 'INVALID_ARGUMENT', ({ options, scratch }) => openAndClose(scratch, { ...options, readOnly: true })),
  fails('createIfMissing: false on a missing directory (nothing is created)', 'INVALID_ARGUMENT', ({ options, scratch }) => openAndClose(`${scratch}/missing`, { ...options, createIfMissing: false }), {
    then: async ({ vfs, scratch }) => expect(await vfs.stat(`${scratch}/missing`)).toBeUndefined(),
  }),
  fails('errorIfExists: true on the existing database', 'INVALID_ARGUMENT', ({ dir, options }) => openAndClose(dir, { ...options, errorIfExists: true }), { when: 'closed' }),
  ...(['put', 'delete', 'write', 'clear', 'flush', 'compactRange'] as const).map((method) =>
    fails(`${method} through a read-only open beside the writer`, 'READ_ONLY', (ctx) =>
      withReadOnly(ctx, async (reader) => {
        await expectIntact(reader, ctx.model);
        const call = reader[method] as (...args: unknown[]) => Promise<unknown>;
        return call.call(reader, seedKey(0), 'changed');
      }),
    ),
  ),
  fails('a put through a closed read-only database', 'NOT_OPEN', async (ctx) => {
    const reader = await openReadOnly(ctx);
    await reader.close();
    return reader.put(seedKey(0), 'changed');
  }),
  fails('refreshing a read-only database under a live snapshot', 'NOT_SUPPORTED', (ctx) =>
    withReadOnly(ctx, (reader) => {
      reader.snapshot();
      return reader.refresh();
    }),
  ),
];

describeMisuse('lifecycle and locks', lockRows);
describeMisuse('directories and read-only opens', directoryRows);
