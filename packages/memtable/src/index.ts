export { ENTRY_OVERHEAD_BYTES, LEAF_ENTRY_COUNT_MAX_DEFAULT, Memtable } from './memtable.js';
export type { MemtableOptions } from './memtable.js';
export type { MemtableEntry } from './memtable-entry.js';
export type { MemtableIterator } from './memtable-iterator.js';
