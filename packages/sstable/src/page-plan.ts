/**
 * Chooses a version 3 page's slot fields for the records added so far, and says how many bytes
 * the page needs with one more record. The widths follow the records: the prefix all keys
 * share (the common prefix of the first and last key, as keys arrive sorted), a key length
 * field only when lengths differ, a seq field as wide as the page's seq range, a flags byte
 * only when some entry is not a plain put, and values inline when every put's value has one
 * length. Adding a record can only widen fields, so a page is sealed when the next record
 * would not fit.
 */
import { EntryKind, commonPrefixLengthAt, copyOfRange } from '@kv/base';
import {
  DESCRIPTOR_BYTES,
  INLINE_KEY_BYTES_MAX,
  OVERFLOW_REF_BYTES,
  PAGE_HEADER_BYTES,
  SHARED_PREFIX_BYTES_MAX,
} from './format.js';
import { bytesToHold, keyHeapBytes, slotWidthOfFields } from './page-geometry.js';
import type { SlotFields } from './page-geometry.js';

/** Bytes of a key the plan keeps: enough for any shared prefix plus any inline suffix. */
export const PLANNED_KEY_BYTES_MAX: number = SHARED_PREFIX_BYTES_MAX + INLINE_KEY_BYTES_MAX;

/** What the plan needs to know of a record: its key is `keyLength` bytes of `keyBytes` from `keyStart`. */
export interface PlannedRecord {
  keyBytes: Uint8Array;
  keyStart: number;
  keyLength: number;
  seq: number;
  kind: EntryKind;
  valueLength: number;
  keyOverflow: boolean;
  valueOverflow: boolean;
}

/** The running totals a page's fields follow. Mutable: the plan keeps two and swaps them. */
class PlanState {
  count = 0;
  prefixLength = 0;
  keyLengthMin = 0;
  keyLengthMax = 0;
  /** Heap bytes of keys whose suffix is longer than the inline width, for this prefix length. */
  keyHeapBytes = 0;
  longKeys = 0;
  seqMin = 0;
  seqMax = 0;
  flagsNeeded = false;
  puts = 0;
  putValueLength = 0;
  valuesUniform = true;
  valueOverflows = 0;
  valueLengthMax = 0;
  /** Heap bytes of values when they are not inline: put values in the page, references to overflow. */
  valueHeapBytes = 0;

  copyFrom(other: PlanState): void {
    this.count = other.count;
    this.prefixLength = other.prefixLength;
    this.keyLengthMin = other.keyLengthMin;
    this.keyLengthMax = other.keyLengthMax;
    this.keyHeapBytes = other.keyHeapBytes;
    this.longKeys = other.longKeys;
    this.seqMin = other.seqMin;
    this.seqMax = other.seqMax;
    this.flagsNeeded = other.flagsNeeded;
    this.puts = other.puts;
    this.putValueLength = other.putValueLength;
    this.valuesUniform = other.valuesUniform;
    this.valueOverflows = other.valueOverflows;
    this.valueLengthMax = other.valueLengthMax;
    this.valueHeapBytes = other.valueHeapBytes;
  }
}

export class PagePlan {
  /** K of the file: the widest inline suffix. */
  private readonly inlineKeyBytes: number;
  private state = new PlanState();
  private candidate = new PlanState();
  /** Whether `candidate` holds the last `bytesWith` measurement. */
  private candidateMeasured = false;
  private readonly scratchFields: SlotFields = emptyFields();
  /** The first key's leading bytes, for the shared prefix. */
  private firstKey: Uint8Array = new Uint8Array(0);
  /** Full key lengths and overflow marks of the records, to recount long keys when the prefix shrinks. */
  private keyLengths: number[] = [];
  private keyOverflowMarks: boolean[] = [];

  constructor(inlineKeyBytes: number) {
    this.inlineKeyBytes = inlineKeyBytes;
  }

  /** The shared prefix bytes (valid for `fields().prefixLength` bytes). */
  get prefix(): Uint8Array {
    return this.firstKey;
  }

  /** Bytes of the page with `record` added to the records so far. */
  bytesWith(record: PlannedRecord): number {
    this.grow(record);
    this.candidateMeasured = true;
    return pageBytes(this.candidate, this.fieldsOf(this.candidate, this.scratchFields));
  }

  /** Adds the record; `measured` says the last `bytesWith` was of this very record. */
  add(record: PlannedRecord, measured: boolean): void {
    if (!measured || !this.candidateMeasured) this.grow(record);
    // A copy also of a Node Buffer, whose `slice` would be a view of the caller's memory.
    if (this.state.count === 0) this.firstKey = copyOfRange(record.keyBytes, record.keyStart, Math.min(record.keyLength, PLANNED_KEY_BYTES_MAX));
    this.keyLengths.push(record.keyLength);
    this.keyOverflowMarks.push(record.keyOverflow);
    const previous = this.state;
    this.state = this.candidate;
    this.candidate = previous;
    this.candidateMeasured = false;
  }

  /** The slot fields for the records added. */
  fields(): SlotFields {
    return this.fieldsOf(this.state, emptyFields());
  }

  reset(): void {
    this.state = new PlanState();
    this.candidateMeasured = false;
    this.keyLengths = [];
    this.keyOverflowMarks = [];
  }

  /** Sets `candidate` to the state with `record` added. */
  private grow(record: PlannedRecord): void {
    const s = this.state;
    const next = this.candidate;
    next.copyFrom(s);
    const keyLength = record.keyLength;
    const put = record.kind !== EntryKind.Delete;
    next.count = s.count + 1;
    if (s.count === 0) {
      next.prefixLength = Math.min(keyLength, SHARED_PREFIX_BYTES_MAX);
      next.keyLengthMin = keyLength;
      next.keyLengthMax = keyLength;
      next.seqMin = record.seq;
      next.seqMax = record.seq;
    } else {
      next.prefixLength = Math.min(s.prefixLength, commonPrefixLengthAt(this.firstKey, record.keyBytes, record.keyStart, keyLength));
      next.keyLengthMin = Math.min(s.keyLengthMin, keyLength);
      next.keyLengthMax = Math.max(s.keyLengthMax, keyLength);
      next.seqMin = Math.min(s.seqMin, record.seq);
      next.seqMax = Math.max(s.seqMax, record.seq);
      if (next.prefixLength !== s.prefixLength) this.recountLongKeys(next);
    }
    next.flagsNeeded = s.flagsNeeded || record.kind !== EntryKind.Put || record.keyOverflow || record.valueOverflow;
    if (put) {
      next.puts = s.puts + 1;
      if (s.puts === 0) next.putValueLength = record.valueLength;
      else if (record.valueLength !== s.putValueLength) next.valuesUniform = false;
      next.valueLengthMax = Math.max(s.valueLengthMax, record.valueLength);
      next.valueHeapBytes = s.valueHeapBytes + (record.valueOverflow ? OVERFLOW_REF_BYTES : record.valueLength);
    }
    if (record.valueOverflow) next.valueOverflows = s.valueOverflows + 1;
    const long = this.keyHeapOf(keyLength, record.keyOverflow, next.prefixLength);
    if (long > 0) {
      next.keyHeapBytes += long;
      next.longKeys++;
    }
  }

  /** Heap bytes of one key for a prefix length: its suffix when longer than K, a reference when in overflow. */
  private keyHeapOf(keyLength: number, keyOverflow: boolean, prefixLength: number): number {
    return keyHeapBytes({ bytesAfterPrefix: keyLength - prefixLength, overflow: keyOverflow }, this.inlineKeyBytes);
  }

  private recountLongKeys(next: PlanState): void {
    next.keyHeapBytes = 0;
    next.longKeys = 0;
    for (let i = 0; i < this.keyLengths.length; i++) {
      const bytes = this.keyHeapOf(this.keyLengths[i] as number, this.keyOverflowMarks[i] as boolean, next.prefixLength);
      if (bytes > 0) {
        next.keyHeapBytes += bytes;
        next.longKeys++;
      }
    }
  }

  /** Writes the fields for state `s` into `into` and returns it. */
  private fieldsOf(s: PlanState, into: SlotFields): SlotFields {
    const suffixMax = s.keyLengthMax - s.prefixLength;
    const uniformKeys = s.keyLengthMin === s.keyLengthMax;
    const uniformValue = s.valuesUniform ? s.putValueLength : 0;
    // Inline values cost their width in every slot, a delete's too; heap values cost an offset.
    const inline = s.valuesUniform && s.valueOverflows === 0 && (s.count - s.puts) * uniformValue <= 2 * s.count;
    into.prefixLength = s.prefixLength;
    into.suffixWidth = Math.min(suffixMax, this.inlineKeyBytes);
    into.keyLengthWidth = uniformKeys ? 0 : suffixMax <= 0xff ? 1 : 2;
    into.uniformSuffixLength = uniformKeys ? suffixMax : 0;
    into.keyOffsetPresent = s.longKeys > 0;
    into.seqWidth = bytesToHold(s.seqMax - s.seqMin);
    into.seqBase = s.seqMin;
    into.flagsPresent = s.flagsNeeded;
    into.valuesInline = inline;
    into.valueLengthWidth = inline || s.valuesUniform ? 0 : s.valueLengthMax <= 0xff ? 1 : s.valueLengthMax <= 0xffff ? 2 : 4;
    into.uniformValueLength = inline || s.valuesUniform ? uniformValue : 0;
    return into;
  }
}

function emptyFields(): SlotFields {
  return {
    prefixLength: 0,
    suffixWidth: 0,
    keyLengthWidth: 0,
    uniformSuffixLength: 0,
    keyOffsetPresent: false,
    seqWidth: 0,
    seqBase: 0,
    flagsPresent: false,
    valuesInline: false,
    valueLengthWidth: 0,
    uniformValueLength: 0,
  };
}

/** Header, descriptor, prefix, slots and heap. */
function pageBytes(s: PlanState, fields: SlotFields): number {
  const heap = s.keyHeapBytes + (fields.valuesInline ? 0 : s.valueHeapBytes);
  return PAGE_HEADER_BYTES + DESCRIPTOR_BYTES + s.prefixLength + s.count * slotWidthOfFields(fields) + heap;
}
