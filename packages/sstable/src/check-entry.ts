/**
 * Argument checks for `TableBuilder.add`: what a caller may pass (INVALID_ARGUMENT). Order is
 * an invariant of the caller and is asserted by the builder instead.
 */
import { EntryKind, InvalidArgumentError } from '@kv/base';
import { KEY_BYTES_MAX, SEQ_MAX, VALUE_BYTES_MAX } from './format.js';
import type { TableLayout } from './table-layout.js';

export function checkEntry(layout: TableLayout, entry: { key: Uint8Array; seq: number; kind: EntryKind; value: Uint8Array }): void {
  if (!Number.isSafeInteger(entry.seq) || entry.seq < 0 || entry.seq > SEQ_MAX) throw new InvalidArgumentError('seq', `${entry.seq} is not an integer in 0..2^53-1`);
  const fixed = layout.fixedWidth;
  const known = entry.kind === EntryKind.Put || entry.kind === EntryKind.Delete || (entry.kind === EntryKind.PutExpiring && fixed === undefined);
  if (!known) throw new InvalidArgumentError('kind', `entry kind ${String(entry.kind)} is not stored in ${fixed === undefined ? 'page files' : 'fixed-width page files'}`);
  if (fixed === undefined) {
    if (entry.key.length > KEY_BYTES_MAX) throw new InvalidArgumentError('key', `${entry.key.length} bytes is over the ${KEY_BYTES_MAX}-byte limit`);
    if (entry.value.length > VALUE_BYTES_MAX) throw new InvalidArgumentError('value', `${entry.value.length} bytes is over the ${VALUE_BYTES_MAX}-byte limit`);
    return;
  }
  if (entry.key.length !== fixed.keySize) throw new InvalidArgumentError('key', `${entry.key.length} bytes in a file of ${fixed.keySize}-byte keys`);
  const valueOk = entry.kind === EntryKind.Put ? entry.value.length === fixed.valueSize : entry.value.length === 0 || entry.value.length === fixed.valueSize;
  if (!valueOk) throw new InvalidArgumentError('value', `${entry.value.length} bytes in a file of ${fixed.valueSize}-byte values`);
}
