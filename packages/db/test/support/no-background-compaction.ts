/** Options that keep background compaction from running, so a test controls exactly which job runs. */
import type { DbOptions } from '../../src/index.js';

export const NO_BACKGROUND_COMPACTION: DbOptions = { compaction: { level0CompactionTrigger: 100, level0SlowdownTrigger: 100, level0StopTrigger: 100 } };
