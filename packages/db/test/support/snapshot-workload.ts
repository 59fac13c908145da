/**
 * Random workloads for snapshot properties: batches (puts, deletes, range deletions) over a small key alphabet, snapshots taken
 * and released at random, and a maintenance step (flush or compaction) in between. The
 * runner keeps, for every live snapshot, the model frozen when it was taken.
 */
import fc from 'fast-check';
import type { DB, Snapshot } from '../../src/index.js';
import { SortedModel } from './sorted-model.js';
import type { ModelOp } from './sorted-model.js';

export type SnapshotStep =
  | { kind: 'write'; ops: ModelOp[] }
  | { kind: 'snapshot' }
  | { kind: 'release'; index: number }
  | { kind: 'maintain' };

export interface LiveSnapshot {
  snapshot: Snapshot;
  model: SortedModel;
}

/** Steps with keys of 1–2 bytes from 0–7, values up to `valueBytesMax`. */
export function snapshotStep(shape: { valueBytesMax: number; opsMax: number; writeWeight: number; releaseIndexMax: number }): fc.Arbitrary<SnapshotStep> {
  const key = fc.uint8Array({ minLength: 1, maxLength: 2, max: 7 });
  const op: fc.Arbitrary<ModelOp> = fc.oneof(
    { weight: 4, arbitrary: fc.record({ type: fc.constant('put' as const), key, value: fc.uint8Array({ maxLength: shape.valueBytesMax }) }) },
    { weight: 2, arbitrary: fc.record({ type: fc.constant('del' as const), key }) },
    { weight: 1, arbitrary: fc.record({ type: fc.constant('delRange' as const), start: key, end: key }) },
  );
  return fc.oneof(
    { weight: shape.writeWeight, arbitrary: fc.array(op, { minLength: 1, maxLength: shape.opsMax }).map((ops) => ({ kind: 'write' as const, ops })) },
    { weight: 2, arbitrary: fc.constant({ kind: 'snapshot' as const }) },
    { weight: 1, arbitrary: fc.nat(shape.releaseIndexMax).map((index) => ({ kind: 'release' as const, index })) },
    { weight: 1, arbitrary: fc.constant({ kind: 'maintain' as const }) },
  );
}

/** Applies one step to the database, the model and the live snapshots. */
export async function runSnapshotStep(db: DB, state: { model: SortedModel; live: LiveSnapshot[] }, step: SnapshotStep, maintain: () => Promise<void>): Promise<void> {
  if (step.kind === 'write') {
    await db.write(step.ops);
    state.model.apply(step.ops);
  } else if (step.kind === 'snapshot') state.live.push({ snapshot: db.snapshot(), model: state.model.clone() });
  else if (step.kind === 'release') state.live.splice(step.index % Math.max(1, state.live.length), 1).forEach((l) => l.snapshot.release());
  else await maintain();
}
