/**
 * Joins fragments into records. Any break in the FULL | FIRST MIDDLE* LAST sequence damages
 * the record it interrupts, so a record is returned only when every fragment of it arrived,
 * valid and in order.
 */
import { concatBytes } from '@kv/base';
import { FragmentType, RECORD_PAYLOAD_BYTES_MAX } from './format.js';
import type { RecordFragmentType } from './parse-fragment.js';
import type { WalRecord } from './wal-record.js';

/** A valid fragment as the cursor delivers it. */
export interface Fragment {
  type: RecordFragmentType;
  payload: Uint8Array;
  offset: number;
  end: number;
}

/** Bytes `[offset, end)` held a damaged record or fragment. */
export interface DroppedRange {
  offset: number;
  end: number;
  detail: string;
}

/** What one fragment produced: possibly a dropped range, then possibly a complete record. */
export interface AssemblyStep {
  dropped?: DroppedRange;
  record?: WalRecord;
}

export class RecordAssembler {
  private parts: Uint8Array[] = [];
  private pendingOffset = -1;
  private pendingBytes = 0;

  /** The offset of the record being assembled, or undefined between records. */
  get pendingStart(): number | undefined {
    return this.pendingOffset < 0 ? undefined : this.pendingOffset;
  }

  push(fragment: Fragment): AssemblyStep {
    const step: AssemblyStep = {};
    const isStart = fragment.type === FragmentType.Full || fragment.type === FragmentType.First;
    if (isStart) {
      const dropped = this.dropPending({ end: fragment.offset, detail: 'record interrupted by a new record' });
      if (dropped !== undefined) step.dropped = dropped;
      if (fragment.type === FragmentType.Full) {
        step.record = { payload: fragment.payload.slice(), position: { offset: fragment.offset, length: fragment.end - fragment.offset } };
        return step;
      }
      this.pendingOffset = fragment.offset;
      this.parts = [fragment.payload];
      this.pendingBytes = fragment.payload.length;
      return step;
    }
    if (this.pendingOffset < 0) {
      step.dropped = { offset: fragment.offset, end: fragment.end, detail: `continuation fragment (type ${fragment.type}) without a first fragment` };
      return step;
    }
    if (this.pendingBytes + fragment.payload.length > RECORD_PAYLOAD_BYTES_MAX) {
      const dropped = this.dropPending({ end: fragment.end, detail: `record exceeds ${RECORD_PAYLOAD_BYTES_MAX} bytes` });
      if (dropped !== undefined) step.dropped = dropped;
      return step;
    }
    this.parts.push(fragment.payload);
    this.pendingBytes += fragment.payload.length;
    if (fragment.type === FragmentType.Last) {
      const offset = this.pendingOffset;
      step.record = { payload: concatBytes(this.parts), position: { offset, length: fragment.end - offset } };
      this.reset();
    }
    return step;
  }

  /** Abandons the record being assembled (damage or end of file reached it) and says what it covered. */
  dropPending(options: { end: number; detail: string }): DroppedRange | undefined {
    if (this.pendingOffset < 0) return undefined;
    const dropped = { offset: this.pendingOffset, end: options.end, detail: options.detail };
    this.reset();
    return dropped;
  }

  private reset(): void {
    this.parts = [];
    this.pendingOffset = -1;
    this.pendingBytes = 0;
  }
}
