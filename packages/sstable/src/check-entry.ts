/**
 * Argument checks for `TableBuilder.add`: what a caller may pass (INVALID_ARGUMENT). Order is
 * an invariant of the caller and is asserted by the builder instead.
 */
import { EntryKind, InvalidArgumentError } from '@kv/base';
import { KEY_BYTES_MAX, SEQ_MAX, VALUE_BYTES_MAX } from './format.js';
import type { TableLayout } from './table-layout.js';

/** Checks one entry by its parts and lengths (no entry object or view: this runs once per record written). */
export function checkEntry(layout: TableLayout, keyLength: number, seq: number, kind: EntryKind, valueLength: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0 || seq > SEQ_MAX) throw new InvalidArgumentError('seq', `${seq} is not an integer in 0..2^53-1`);
  const fixed = layout.fixedWidth;
  const known = kind === EntryKind.Put || kind === EntryKind.Delete || (kind === EntryKind.PutExpiring && fixed === undefined);
  if (!known) throw new InvalidArgumentError('kind', `entry kind ${String(kind)} is not stored in ${fixed === undefined ? 'page files' : 'fixed-width page files'}`);
  if (fixed === undefined) {
    if (keyLength > KEY_BYTES_MAX) throw new InvalidArgumentError('key', `${keyLength} bytes is over the ${KEY_BYTES_MAX}-byte limit`);
    if (valueLength > VALUE_BYTES_MAX) throw new InvalidArgumentError('value', `${valueLength} bytes is over the ${VALUE_BYTES_MAX}-byte limit`);
    return;
  }
  if (keyLength !== fixed.keySize) throw new InvalidArgumentError('key', `${keyLength} bytes in a file of ${fixed.keySize}-byte keys`);
  const valueOk = kind === EntryKind.Put ? valueLength === fixed.valueSize : valueLength === 0 || valueLength === fixed.valueSize;
  if (!valueOk) throw new InvalidArgumentError('value', `${valueLength} bytes in a file of ${fixed.valueSize}-byte values`);
}
