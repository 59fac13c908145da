export { KvLevel } from './kv-level.js';
export type { CompactRangeOptions, KvLevelWriteOptions } from './kv-level.js';
export type { KvLevelEngineOptions, KvLevelOptions } from './kv-level-options.js';
export { LevelError } from './level-error.js';
