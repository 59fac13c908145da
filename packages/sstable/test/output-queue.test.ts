import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OutputQueue } from '../src/output-queue.js';

describe('OutputQueue', () => {
  it('reuses a recycled slab without changing a byte of what later writes hand out', () => {
    // Goal: recycling the array of a finished write (as TableBuilder does) never lets a later
    // write see stale or shared bytes. Strategy: random chunks and takes, as below, with each
    // taken batch written one take later (a write running behind the encoding) and then
    // recycled, or not; the recycled array is scribbled over as a stale slab would be.
    // Invariants: the file holds every chunk at its offset; recycled slabs are reused.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 120_000 }), fc.boolean(), fc.boolean()), { maxLength: 40 }), (steps) => {
        const queue = new OutputQueue();
        const file = new Uint8Array(steps.reduce((sum, [length]) => sum + length, 0));
        const expected = new Uint8Array(file.length);
        const seenBuffers = new Set<ArrayBufferLike>();
        let reused = 0;
        let recycled = 0;
        let inFlight: { batch: { data: Uint8Array; position: number }; recycle: boolean } | undefined;
        const finishWrite = (): void => {
          if (inFlight === undefined) return;
          file.set(inFlight.batch.data, inFlight.batch.position);
          if (inFlight.recycle) {
            queue.recycle(inFlight.batch.data);
            new Uint8Array(inFlight.batch.data.buffer).fill(0xee);
            recycled++;
          }
          inFlight = undefined;
        };
        const take = (recycle: boolean): void => {
          const batch = queue.take();
          finishWrite();
          if (batch === undefined) return;
          if (seenBuffers.has(batch.data.buffer)) reused++;
          seenBuffers.add(batch.data.buffer);
          inFlight = { batch, recycle };
        };
        steps.forEach(([length, takeAfter, recycle], i) => {
          const chunk = new Uint8Array(length).fill((i % 250) + 1);
          const offset = queue.append(chunk);
          expected.fill((i % 250) + 1, offset, offset + length);
          if (takeAfter) take(recycle);
        });
        take(false);
        finishWrite();
        expect(Buffer.compare(file, expected)).toBe(0);
        expect(reused).toBeLessThanOrEqual(recycled);
      }),
      { numRuns: 80 },
    );
    // Steady slices, each recycled after its write: two arrays serve every write.
    const queue = new OutputQueue();
    const buffers = new Set<ArrayBufferLike>();
    let previous: Uint8Array | undefined;
    for (let i = 0; i < 50; i++) {
      queue.append(new Uint8Array(200_000).fill(i + 1));
      const batch = queue.take();
      expect(batch?.data.every((byte) => byte === i + 1)).toBe(true);
      buffers.add((batch as { data: Uint8Array }).data.buffer);
      if (previous !== undefined) queue.recycle(previous);
      previous = batch?.data;
    }
    expect(buffers.size).toBeLessThanOrEqual(3);
  });

  it('hands out every appended byte once, at the offset append returned', () => {
    // Goal: the slab the writes take holds exactly the appended chunks, at their file offsets.
    // Strategy: random chunk sizes (empty to larger than a slab) with takes at random points;
    // the caller overwrites each chunk right after appending it (the queue must have copied it).
    // Invariants: writes tile the file from 0 in order; each chunk's bytes are at its offset.
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat({ max: 150_000 }), fc.boolean()), { maxLength: 30 }), (steps) => {
        const queue = new OutputQueue();
        const file = new Uint8Array(steps.reduce((sum, [length]) => sum + length, 0));
        const expected = new Uint8Array(file.length);
        let written = 0;
        const write = (): void => {
          const batch = queue.take();
          if (batch === undefined) return;
          expect(batch.position).toBe(written);
          file.set(batch.data, batch.position);
          written += batch.data.length;
        };
        steps.forEach(([length, takeAfter], i) => {
          const chunk = new Uint8Array(length).fill((i % 250) + 1);
          const offset = queue.append(chunk);
          expected.fill((i % 250) + 1, offset, offset + length);
          chunk.fill(0);
          if (takeAfter) write();
        });
        write();
        expect(queue.pendingBytes).toBe(0);
        expect(written).toBe(file.length);
        // Buffer.compare: a deep equality of megabyte arrays would take seconds.
        expect(Buffer.compare(file, expected)).toBe(0);
      }),
      { numRuns: 60 },
    );
  });

  it('starts the slab after a large chunk no larger than 1 MiB', () => {
    // Regression (found by review): the slab size only grew, so one 8 MiB overflow value made
    // every later ~256 KiB write allocate an 8 MiB slab.
    const queue = new OutputQueue();
    queue.append(new Uint8Array(8 * 1024 * 1024));
    expect(queue.take()?.data.length).toBe(8 * 1024 * 1024);
    for (let i = 0; i < 3; i++) {
      for (let page = 0; page < 64; page++) queue.append(new Uint8Array(4096));
      const batch = queue.take();
      expect(batch?.data.length).toBe(256 * 1024);
      expect(batch?.data.buffer.byteLength).toBeLessThanOrEqual(1024 * 1024);
    }
  });
});
