/**
 * The steps of a concurrent in-process client (writes, reads, flushes and compactions), their
 * fast-check arbitraries, and running one step against a database while recording it.
 */
import fc from 'fast-check';
import type { BatchOp, DB } from '../../src/index.js';
import { batchOp, key } from './concurrency-workload.js';
import type { Recorder } from './read-history.js';
import { show } from './sorted-model.js';
import { bytes, text } from './utf8.js';

export type Step =
  | { kind: 'put'; key: string; valueBytes: number }
  | { kind: 'del'; key: string }
  | { kind: 'batch'; ops: BatchOp[] }
  | { kind: 'clear'; gte: string; lt: string }
  | { kind: 'burst'; ops: BatchOp[] }
  | { kind: 'get'; key: string }
  | { kind: 'getSync'; key: string }
  | { kind: 'has'; key: string }
  | { kind: 'getMany'; keys: string[] }
  | { kind: 'scan'; gte: string | undefined; lt: string | undefined; reverse: boolean; slow: boolean }
  | { kind: 'flush' }
  | { kind: 'compact' };

export interface ClientStep {
  step: Step;
  /** Whether the client waits for this step before its next one (else it stays in flight). */
  awaited: boolean;
}

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ kind: fc.constant('put' as const), key, valueBytes: fc.nat(300) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('del' as const), key }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('batch' as const), ops: fc.array(batchOp, { minLength: 1, maxLength: 5 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('clear' as const), gte: key, lt: key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('burst' as const), ops: fc.array(batchOp, { minLength: 2, maxLength: 20 }) }) },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('get' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('getSync' as const), key }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('has' as const), key }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('getMany' as const), keys: fc.array(key, { minLength: 1, maxLength: 5 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({ kind: fc.constant('scan' as const), gte: fc.option(key, { nil: undefined }), lt: fc.option(key, { nil: undefined }), reverse: fc.boolean(), slow: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'compact' as const }) },
);

/** A third of the steps are awaited; the rest stay in flight while the client goes on. */
const clientStep: fc.Arbitrary<ClientStep> = fc.record({ step, awaited: fc.nat(2).map((n) => n === 0) });
export const clients: fc.Arbitrary<ClientStep[][]> = fc.array(fc.array(clientStep, { minLength: 5, maxLength: 30, size: 'max' }), { minLength: 2, maxLength: 6, size: 'max' });

const sameValue = (a: Uint8Array | undefined, b: Uint8Array | undefined): boolean => (a === undefined || b === undefined ? a === b : Buffer.from(a).equals(Buffer.from(b)));

function inBounds(gte: string | undefined, lt: string | undefined): (k: Uint8Array) => boolean {
  return (k) => {
    const name = text(k) ?? '';
    return (gte === undefined || name >= gte) && (lt === undefined || name < lt);
  };
}

/** Runs one step, recording it; resolves when it is done. */
export function runStep(db: DB, recorder: Recorder, step: Step, yieldPoint: () => Promise<void>): Promise<void> {
  switch (step.kind) {
    case 'put': {
      const index = recorder.writes.length;
      const value = `w${index}:${'v'.repeat(step.valueBytes)}`;
      return recorder.write([{ type: 'put', key: step.key, value }], () => db.put(step.key, value));
    }
    case 'del':
      return recorder.write([{ type: 'del', key: step.key }], () => db.delete(step.key));
    case 'batch':
      return recorder.write(step.ops, () => db.write(step.ops));
    case 'burst':
      // One call per operation, all issued before any of them resolves.
      return Promise.all(step.ops.map((op) => recorder.write([op], () => db.write([op])))).then(() => undefined);
    case 'clear':
      return recorder.write([{ type: 'delRange', start: step.gte, end: step.lt }], () => db.clear({ gte: step.gte, lt: step.lt }));
    case 'get':
      return recorder.read(`get ${step.key}`, () => db.get(step.key), (value, model) => sameValue(value, model.get(bytes(step.key))));
    case 'getSync':
      return recorder.read(`getSync ${step.key}`, () => db.getSync(step.key), (value, model) => sameValue(value, model.get(bytes(step.key))));
    case 'has':
      return recorder.read(`has ${step.key}`, () => db.has(step.key), (found, model) => found === (model.get(bytes(step.key)) !== undefined));
    case 'getMany':
      return recorder.read(`getMany ${step.keys.join(',')}`, () => db.getMany(step.keys), (values, model) => step.keys.every((k, i) => sameValue(values[i], model.get(bytes(k)))));
    case 'scan':
      return recorder.read(
        `scan ${JSON.stringify(step)}`,
        () => scan(db, step, yieldPoint),
        (entries, model) => {
          const expected = model.scan(inBounds(step.gte, step.lt));
          if (step.reverse) expected.reverse();
          return JSON.stringify(show(entries)) === JSON.stringify(show(expected));
        },
      );
    case 'flush':
      return db.flush();
    case 'compact':
      return db.compactRange();
  }
}

/** A scan; a slow one yields to the scheduler between entries, so writes land while it runs. */
async function scan(db: DB, step: Extract<Step, { kind: 'scan' }>, yieldPoint: () => Promise<void>): Promise<[Uint8Array, Uint8Array][]> {
  const iterator = db.iterator({ ...(step.gte === undefined ? {} : { gte: step.gte }), ...(step.lt === undefined ? {} : { lt: step.lt }), reverse: step.reverse });
  const out: [Uint8Array, Uint8Array][] = [];
  for await (const entry of iterator) {
    out.push(entry);
    if (step.slow) await yieldPoint();
  }
  return out;
}
