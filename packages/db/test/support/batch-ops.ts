/** Batch operations in tests: a short builder, and the model form of an engine operation. */
import type { BatchOp } from '../../src/index.js';
import type { ModelOp } from './sorted-model.js';
import { bytes } from './utf8.js';

export const put = (key: Uint8Array | string, value: Uint8Array | string): BatchOp => ({ type: 'put', key, value });

/** The operation as the model applies it. Byte inputs are copied, so later changes to the caller's buffers do not reach the model. */
export function toModelOp(op: BatchOp): ModelOp {
  const asBytes = (input: Uint8Array | string): Uint8Array => (typeof input === 'string' ? bytes(input) : new Uint8Array(input));
  if (op.type === 'put') return { type: 'put', key: asBytes(op.key), value: asBytes(op.value) };
  if (op.type === 'del') return { type: 'del', key: asBytes(op.key) };
  return { type: 'delRange', start: asBytes(op.start), end: asBytes(op.end) };
}
