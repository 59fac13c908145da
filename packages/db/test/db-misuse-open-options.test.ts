import type { DbOptions } from '../src/index.js';
import { openAndClose } from './support/misuse-opens.js';
import { accepts, describeMisuse, fails } from './support/misuse-table.js';
import type { MisuseRow } from './support/misuse-table.js';

// Goal: every invalid open option is INVALID_ARGUMENT and leaves the closed database as it
// was; an unknown option is ignored.
// Strategy: rows of the misuse table (support/misuse-table.ts): each row runs on a freshly
// seeded database and is followed by a check of every acknowledged write, also after reopen.
// Invariants: the database and a reopen of it hold exactly the seeded data plus what the row
// wrote on purpose (see support/misuse-table.ts).

// ---------------------------------------------------------------------------------------
// Open options: invalid ones are INVALID_ARGUMENT and leave the closed database as it was.

const BAD_OPTIONS: readonly [string, unknown][] = [
  ['memoryBudget -1', { memoryBudget: -1 }],
  ['memoryBudget 1.5', { memoryBudget: 1.5 }],
  ['memoryBudget "64MB"', { memoryBudget: '64MB' }],
  ['memtableSize 100 (below 4 KiB)', { memtableSize: 100 }],
  ['memtableSize over 1 GiB', { memtableSize: 2 ** 30 + 1 }],
  ['cacheSize -1', { cacheSize: -1 }],
  ['pageSize 3000 (not a power of two)', { pageSize: 3000 }],
  ['pageSize 512 (too small)', { pageSize: 512 }],
  ['pageSize 131072 (too large)', { pageSize: 131072 }],
  ["compression 'zstd'", { compression: 'zstd' }],
  ["compression ['lz4', 'zstd']", { compression: ['lz4', 'zstd'] }],
  ['compression []', { compression: [] }],
  ["walRecoveryMode 'nope'", { walRecoveryMode: 'nope' }],
  ['walRecoveryMode 1', { walRecoveryMode: 1 }],
  ["createIfMissing 'yes'", { createIfMissing: 'yes' }],
  ['errorIfExists 1', { errorIfExists: 1 }],
  ['readOnly "true"', { readOnly: 'true' }],
  ['paranoidChecks 1', { paranoidChecks: 1 }],
  ['keySize without valueSize', { keySize: 4 }],
  ['keySize 0', { keySize: 0, valueSize: 4 }],
  ['bloomBitsPerKey 33', { bloomBitsPerKey: 33 }],
  ['flushIntervalMs 5', { flushIntervalMs: 5 }],
  ['blockingSyncMaxMs -1', { blockingSyncMaxMs: -1 }],
  ['blockingSyncMaxMs 0.5', { blockingSyncMaxMs: 0.5 }],
  ['blockingSyncMaxMs 1001', { blockingSyncMaxMs: 1001 }],
  ["blockingSyncMaxMs '1'", { blockingSyncMaxMs: '1' }],
  ['clock 5', { clock: 5 }],
  ['vfs {}', { vfs: {} }],
  ['compaction 5', { compaction: 5 }],
  ['compaction.level0CompactionTrigger 0', { compaction: { level0CompactionTrigger: 0 } }],
  ['compaction.levelSizeMultiplier 1', { compaction: { levelSizeMultiplier: 1 } }],
  ['compaction triggers out of order', { compaction: { level0CompactionTrigger: 4, level0SlowdownTrigger: 2 } }],
  ['pageSize 8192 on a database created with 4096', { pageSize: 8192 }],
  ['keySize/valueSize on a variable-width database', { keySize: 8, valueSize: 8 }],
];

const optionRows: MisuseRow[] = [
  ...BAD_OPTIONS.map(([label, bad]) =>
    fails(`open with ${label}`, 'INVALID_ARGUMENT', ({ dir, options }) => openAndClose(dir, { ...options, ...(bad as DbOptions) }), { when: 'closed' }),
  ),
  ...['opts', 5, null, true].map((bad) => fails(`open with options ${JSON.stringify(bad)}`, 'INVALID_ARGUMENT', ({ dir }) => openAndClose(dir, bad as never), { when: 'closed' })),
  accepts('open with an unknown option (ignored, for forward compatibility)', ({ dir, options }) => openAndClose(dir, { ...options, someFutureOption: true } as never), undefined, { when: 'closed' }),
];

describeMisuse('open options', optionRows);
