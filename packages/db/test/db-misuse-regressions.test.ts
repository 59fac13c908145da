import type { BatchOp } from '../src/index.js';
import { put } from './support/batch-ops.js';
import { seedKey } from './support/misuse-seed.js';
import { openAndClose } from './support/misuse-opens.js';
import { describeMisuse, fails } from './support/misuse-table.js';
import type { MisuseRow } from './support/misuse-table.js';

// Goal: the engine bugs the misuse table found stay fixed.
// Strategy: rows of the misuse table (support/misuse-table.ts): each row runs on a freshly
// seeded database and is followed by a check of every acknowledged write, also after reopen.
// Invariants: the database and a reopen of it hold exactly the seeded data plus what the row
// wrote on purpose (see support/misuse-table.ts).

// ---------------------------------------------------------------------------------------
// Regressions: engine bugs this table found (fixed since). Each row states the documented
// behaviour (DESIGN.md: "invalid ones are INVALID_ARGUMENT"; "every error the engine throws is
// a KvError") and what the engine did before: `reverse` was not validated (a truthy string
// scanned forward, and clear with a limit then deleted the wrong keys); a non-string location
// or checkpoint target gave a TypeError or IO_ERROR; holes in getMany/write slipped past the
// per-element checks (Array.prototype.map skips them).

const regressionRows: MisuseRow[] = [
  fails('regression: iterator with reverse: "yes" is INVALID_ARGUMENT, not a silent forward scan', 'INVALID_ARGUMENT', ({ db }) => db.iterator({ reverse: 'yes' as never })),
  fails('regression: clear with reverse: "yes" and a limit is INVALID_ARGUMENT, not a forward clear of the wrong keys', 'INVALID_ARGUMENT', ({ db }) => db.clear({ reverse: 'yes' as never, limit: 1 })),
  fails('regression: checkpoint to a number is INVALID_ARGUMENT, not a TypeError', 'INVALID_ARGUMENT', ({ db }) => db.checkpoint(5 as never)),
  fails('regression: checkpoint to undefined on disk is INVALID_ARGUMENT, not IO_ERROR', 'INVALID_ARGUMENT', ({ db }) => db.checkpoint(undefined as never), { fs: 'disk' }),
  fails('regression: open of a number as the location is INVALID_ARGUMENT, not a TypeError', 'INVALID_ARGUMENT', ({ options }) => openAndClose(42 as never, options)),
  fails('regression: open of undefined as the location is INVALID_ARGUMENT, not a TypeError', 'INVALID_ARGUMENT', ({ options }) => openAndClose(undefined as never, options)),
  fails('regression: open of a number as the location on the real file system is INVALID_ARGUMENT, not IO_ERROR', 'INVALID_ARGUMENT', () => openAndClose(42 as never)),
  fails('regression: getMany of a sparse array is INVALID_ARGUMENT, not an array with holes', 'INVALID_ARGUMENT', ({ db }) => db.getMany(new Array<string>(2))),
  fails('regression: a batch with a hole is INVALID_ARGUMENT, not a TypeError', 'INVALID_ARGUMENT', ({ db }) => db.write([put(seedKey(0), 'changed'), , put(seedKey(1), 'changed')] as BatchOp[])),
];

describeMisuse('regressions', regressionRows);
