/**
 * An explicit snapshot (`db.snapshot()`, abstract-level 3): a token that read methods take as
 * their `snapshot` option. It holds an engine snapshot, taken synchronously when it is
 * created, and releases it when abstract-level closes it (by `close()`, or when the database
 * closes), once no read that uses it is in flight.
 */
import type { DB, Snapshot } from '@kv/db';
import { AbstractSnapshot } from 'abstract-level';

/** abstract-level's options for a snapshot: the database (or sublevel) that closes it. */
export interface SnapshotOwnerOptions {
  owner: object;
}

// abstract-level's type declarations omit AbstractSnapshot's constructor, which takes the
// owner options; this names the constructor as the JavaScript defines it.
const SnapshotBase: new (options: SnapshotOwnerOptions) => AbstractSnapshot = AbstractSnapshot as unknown as new (
  options: SnapshotOwnerOptions,
) => AbstractSnapshot;

export class KvLevelSnapshot extends SnapshotBase {
  /** The engine the snapshot belongs to, so reads on another database can refuse it. */
  readonly database: DB;
  /** The engine snapshot reads go through. */
  readonly engine: Snapshot;

  constructor(database: DB, options: SnapshotOwnerOptions) {
    // Taken before the base class registers the snapshot with its owner, so a failure
    // leaves nothing registered.
    const engine = database.snapshot();
    super(options);
    this.database = database;
    this.engine = engine;
  }

  /** Called by abstract-level once, after every read using the snapshot has finished. */
  async _close(): Promise<void> {
    this.engine.release();
  }
}
