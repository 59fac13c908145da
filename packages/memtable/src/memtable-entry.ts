import type { InternalEntry } from '@kv/base';

/**
 * One internal entry as `get` and the iterator hand it out. `value` is empty for a delete. The
 * table stores no such objects (see `Memtable`): each is made on the way out, its key and value
 * views of the bytes the table was given, which the engine copies before giving bytes to a user.
 */
export type MemtableEntry = InternalEntry;
