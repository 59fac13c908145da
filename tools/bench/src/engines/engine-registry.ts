/**
 * Every engine the benchmark knows, in report order, plus the ones that cannot be installed
 * here with the reason, so the report names them instead of leaving them out.
 */
import { classicLevelEngine } from './classic-level-engine.js';
import type { EngineFactory } from './engine-adapter.js';
import { kvEngine } from './kv-engine.js';
import { lmdbEngine } from './lmdb-engine.js';
import { memoryLevelEngine } from './memory-level-engine.js';
import { rocksDbEngine } from './rocksdb-engine.js';
import { snapDbEngine } from './snap-db-engine.js';

export const ENGINES: readonly EngineFactory[] = [kvEngine, classicLevelEngine, lmdbEngine, rocksDbEngine, snapDbEngine, memoryLevelEngine];

export interface UninstallableEngine {
  name: string;
  packageName: string;
  reason: string;
}

export const UNINSTALLABLE_ENGINES: readonly UninstallableEngine[] = [
  {
    name: 'better-sqlite3',
    packageName: 'better-sqlite3@12.11.1 (SQLite)',
    reason:
      'not installable here: its npm tarball has no prebuilt binary (prebuild-install fetches one from GitHub, which is unreachable). ' +
      "The node-gyp fallback downloads Node's headers from nodejs.org unless npm_config_nodedir is set, and pnpm 12 does not take it " +
      'from ~/.npmrc, so `pnpm install` fails. With the variable set, pnpm 12 spent 105 s compiling SQLite and still failed, and plain ' +
      'npm took 107 s to build it: too much for every cold CI install.',
  },
];

/** The factory named `name`, or undefined. */
export function findEngine(name: string): EngineFactory | undefined {
  return ENGINES.find((engine) => engine.name === name);
}
