import type { InternalEntry } from '@kv/base';

/**
 * One internal entry. `value` is empty for a delete. The table keeps these objects as they are
 * and hands the same objects back from `get` and the iterator, so reads allocate nothing; the
 * fields are views the engine copies before giving bytes to a user.
 */
export type MemtableEntry = InternalEntry;
