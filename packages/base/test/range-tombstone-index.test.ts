import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeTombstoneIndex, toSeqNum, tombstoneCovers } from '../src/index.js';
import type { RangeTombstone } from '../src/index.js';

const key = fc.uint8Array({ maxLength: 3 });
const tombstone = fc.record({ start: key, end: fc.option(key, { nil: undefined }), seq: fc.integer({ min: 1, max: 1000 }) });

/** Distinct sequence numbers, as the engine guarantees. */
function withDistinctSeqs(list: { start: Uint8Array; end: Uint8Array | undefined; seq: number }[]): RangeTombstone[] {
  return list.map((t, i) => ({ start: t.start, end: t.end, seq: toSeqNum(t.seq * 1000 + i) }));
}

describe('RangeTombstoneIndex', () => {
  it('answers like a scan of every tombstone', () => {
    fc.assert(
      fc.property(fc.array(tombstone, { maxLength: 12 }), key, fc.integer({ min: 0, max: 1_100_000 }), (raw, probe, readSeq) => {
        const tombstones = withDistinctSeqs(raw);
        const index = new RangeTombstoneIndex(tombstones);
        const covering = tombstones.filter((t) => tombstoneCovers(t, probe)).map((t) => t.seq);
        const atOrBelow = covering.filter((seq) => seq <= readSeq);
        const above = covering.filter((seq) => seq > readSeq);
        expect(index.coveringSeq(probe, readSeq)).toBe(atOrBelow.length === 0 ? 0 : Math.max(...atOrBelow));
        expect(index.nextCoveringAbove(probe, readSeq)).toBe(above.length === 0 ? 0 : Math.min(...above));
      }),
      { numRuns: 2000 },
    );
  });

  it('treats the end as exclusive and an empty range as covering nothing', () => {
    const a = Uint8Array.of(1);
    const b = Uint8Array.of(2);
    const index = new RangeTombstoneIndex([
      { start: a, end: b, seq: toSeqNum(5) },
      { start: b, end: a, seq: toSeqNum(9) },
    ]);
    expect(index.coveringSeq(a, 100)).toBe(5);
    expect(index.coveringSeq(Uint8Array.of(1, 0), 100)).toBe(5);
    expect(index.coveringSeq(b, 100)).toBe(0);
    expect(index.coveringSeq(Uint8Array.of(0), 100)).toBe(0);
    expect(index.coveringSeq(a, 4)).toBe(0);
  });

  it('covers everything from its start when unbounded', () => {
    const index = new RangeTombstoneIndex([{ start: new Uint8Array(0), end: undefined, seq: toSeqNum(3) }]);
    expect(index.coveringSeq(new Uint8Array(0), 3)).toBe(3);
    expect(index.coveringSeq(Uint8Array.of(255, 255, 255), 10)).toBe(3);
  });
});
