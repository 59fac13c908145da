import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkAllocator, isKvError } from '../src/index.js';

describe('ChunkAllocator', () => {
  // Goal: every array it hands out is private, zero-filled memory of the asked length.
  // Strategy: random sequences of take/copy with lengths around the chunk's quarter (the
  // own-buffer cut-off) and zero; each result is filled with its own marker after checks.
  // Invariants: lengths match; a fresh slice reads all zero (so no earlier slice overlaps it);
  // copies equal their source; after all writes every slice still holds its own marker; with
  // `shared`, every array (own buffer or slice) is shared memory, and none is without it.
  it('hands out disjoint, zero-filled arrays of the asked length', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 64, max: 4096 }),
        fc.array(fc.record({ length: fc.nat({ max: 1400 }), copy: fc.boolean() }), { maxLength: 200 }),
        fc.boolean(),
        (chunkBytes, requests, shared) => {
          const allocator = new ChunkAllocator(chunkBytes, { shared });
          const handed: Uint8Array[] = [];
          requests.forEach(({ length, copy }, i) => {
            const source = new Uint8Array(length).fill(0xee);
            const bytes = copy ? allocator.copy(source) : allocator.take(length);
            expect(bytes.length).toBe(length);
            expect(bytes.every((b) => b === (copy ? 0xee : 0))).toBe(true);
            if (length > chunkBytes >>> 2) expect(bytes.buffer.byteLength).toBe(length);
            expect(bytes.buffer instanceof SharedArrayBuffer).toBe(shared);
            bytes.fill(i & 0xff);
            handed.push(bytes);
          });
          handed.forEach((bytes, i) => expect(bytes.every((b) => b === (i & 0xff))).toBe(true));
        },
      ),
    );
  });

  it('shares a chunk between small arrays and aligns each to 8 bytes', () => {
    const allocator = new ChunkAllocator(1024);
    const a = allocator.take(3);
    const b = allocator.take(100);
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(8);
    expect(allocator.take(0).length).toBe(0);
  });

  it('refuses a chunk size that is not an integer of at least 64', () => {
    for (const bad of [0, 63, 1.5, Number.NaN]) {
      let caught: unknown;
      try {
        new ChunkAllocator(bad);
      } catch (error) {
        caught = error;
      }
      expect(isKvError(caught, 'INVALID_ARGUMENT')).toBe(true);
    }
  });
});
