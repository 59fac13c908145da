/**
 * Walks the physical fragments of a log file in order, block by block. Damage is an event,
 * not an error: after it the cursor resumes at the next block boundary, the first place where
 * a fragment header is known to start.
 */
import { AssertionError, assert } from '@kv/base';
import { BLOCK_SIZE_BYTES } from './format.js';
import type { BlockSource } from './block-source.js';
import { parseFragment } from './parse-fragment.js';
import type { RecordFragmentType } from './parse-fragment.js';

/**
 * One step of the walk. Offsets are absolute file offsets.
 * - `fragment`: `payload` is a view into the block buffer; the header starts at `offset`.
 * - `damage`: bytes `[offset, resumeOffset)` are skipped; `nextOffset`, when known, is where the
 *   damaged fragment's own length field says the next fragment starts; `zeroFilled`, that the
 *   damage is a fragment header of zeros (never-written space).
 */
export type FragmentEvent =
  | { kind: 'fragment'; type: RecordFragmentType; payload: Uint8Array; offset: number; end: number }
  | { kind: 'damage'; offset: number; resumeOffset: number; detail: string; nextOffset?: number; zeroFilled?: true }
  | { kind: 'eof' };

export class FragmentCursor {
  private readonly source: BlockSource;
  private readonly seed: number;
  private position: number;

  constructor(source: BlockSource, options: { seed: number; startOffset: number }) {
    this.source = source;
    this.seed = options.seed;
    this.position = options.startOffset;
  }

  /** The offset of the next byte the cursor will look at. */
  get offset(): number {
    return this.position;
  }

  async next(): Promise<FragmentEvent> {
    // Each pass either returns or moves to the next block, so the loop is bounded by the block count.
    for (let pass = 0; pass <= this.source.blockCount; pass++) {
      if (this.position >= this.source.fileSizeBytes) return { kind: 'eof' };
      const blockIndex = Math.floor(this.position / BLOCK_SIZE_BYTES);
      const blockStart = blockIndex * BLOCK_SIZE_BYTES;
      const block = await this.source.load(blockIndex);
      const parsed = parseFragment(block, { within: this.position - blockStart, seed: this.seed });
      const nextBlock = Math.min(blockStart + BLOCK_SIZE_BYTES, this.source.fileSizeBytes);
      if (parsed.kind === 'blockEnd') {
        this.position = nextBlock;
        continue;
      }
      const offset = this.position;
      if (parsed.kind === 'damage') {
        this.position = nextBlock;
        const event: FragmentEvent = { kind: 'damage', offset, resumeOffset: nextBlock, detail: parsed.detail };
        if (parsed.nextWithin !== undefined) event.nextOffset = blockStart + parsed.nextWithin;
        if (parsed.zeroFilled === true) event.zeroFilled = true;
        return event;
      }
      this.position = blockStart + parsed.end;
      assert(this.position > offset, 'the cursor moves forward');
      const payload = block.subarray(parsed.payloadStart, parsed.end);
      return { kind: 'fragment', type: parsed.type, payload, offset, end: this.position };
    }
    throw new AssertionError('the fragment cursor advances a block per pass');
  }
}
