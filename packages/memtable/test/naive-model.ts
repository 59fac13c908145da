import { compareBytes, EntryKind, toSeqNum } from '@kv/base';
import type { SeqNum } from '@kv/base';
import fc from 'fast-check';
import type { MemtableEntry } from '../src/index.js';

/** The obvious implementation the memtable is checked against: a sorted array. */
export class NaiveModel {
  readonly entries: MemtableEntry[] = [];

  add(entry: MemtableEntry): void {
    const index = this.entries.findIndex((e) => compareEntries(e, entry) > 0);
    if (index < 0) this.entries.push(entry);
    else this.entries.splice(index, 0, entry);
  }

  get(key: Uint8Array, seqMax: number): MemtableEntry | undefined {
    return this.entries.find((e) => compareBytes(e.key, key) === 0 && e.seq <= seqMax);
  }

  /** Index of the first entry >= (key, seq), or -1. */
  seekIndex(key: Uint8Array, seq: number): number {
    return this.entries.findIndex((e) => compareTarget(e, key, seq) >= 0);
  }

  /** Index of the last entry <= (key, seq), or -1. */
  seekForPrevIndex(key: Uint8Array, seq: number): number {
    return this.entries.findLastIndex((e) => compareTarget(e, key, seq) <= 0);
  }
}

export function compareEntries(a: MemtableEntry, b: MemtableEntry): number {
  return compareTarget(a, b.key, b.seq);
}

function compareTarget(entry: MemtableEntry, key: Uint8Array, seq: number): number {
  const order = compareBytes(entry.key, key);
  return order !== 0 ? order : seq - entry.seq;
}

/**
 * Keys over {0x00, 0x01, 0x61, 0xff}, up to 8 bytes: short ones collide often, zero bytes make
 * keys that differ only in length (the same 6-byte prefix), and 0xff stresses unsigned order.
 */
export const keyArbitrary: fc.Arbitrary<Uint8Array> = fc
  .array(fc.constantFrom(0x00, 0x01, 0x61, 0xff), { maxLength: 8 })
  .map((bytes) => Uint8Array.from(bytes));

export const seqArbitrary: fc.Arbitrary<SeqNum> = fc.integer({ min: 1, max: 10_000 }).map(toSeqNum);

/** A put (value of 0-3 bytes) or a delete (empty value). */
export const entryArbitrary: fc.Arbitrary<MemtableEntry> = fc
  .record({ key: keyArbitrary, seq: seqArbitrary, put: fc.boolean(), value: fc.uint8Array({ maxLength: 3 }) })
  .map(({ key, seq, put, value }) =>
    put
      ? { key, seq, kind: EntryKind.Put, value }
      : { key, seq, kind: EntryKind.Delete, value: new Uint8Array(0) },
  );

/** Entries with distinct seqs, as the engine never reuses one. */
export const entriesArbitrary: fc.Arbitrary<MemtableEntry[]> = fc.uniqueArray(entryArbitrary, {
  maxLength: 120,
  selector: (e) => e.seq,
});

/** Small leaves split often, which is where the structure can go wrong. */
export const leafSizeArbitrary: fc.Arbitrary<number> = fc.constantFrom(2, 3, 4, 7, 128);
