import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingQueue } from '../src/index.js';

type QueueCommand = { op: 'push'; value: number } | { op: 'shift' } | { op: 'retain'; modulus: number };

const commandArbitrary: fc.Arbitrary<QueueCommand> = fc.oneof(
  fc.record({ op: fc.constant('push' as const), value: fc.integer() }),
  fc.constant({ op: 'shift' as const }),
  fc.record({ op: fc.constant('retain' as const), modulus: fc.integer({ min: 1, max: 4 }) }),
);

describe('RingQueue', () => {
  // Goal: the ring behaves as an array used as a FIFO, through wrap-around and growth.
  // Strategy: random runs of push, shift and retain (keeping values divisible by a small
  // modulus) from small initial capacities, so the head wraps and the array doubles mid-run.
  // Invariants: every shift returns what Array.prototype.shift returns; length and contents
  // match the model after every step, and the array holds nothing beyond the queued items.
  it('matches an array model', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 8 }), fc.array(commandArbitrary, { maxLength: 300 }), (capacity, commands) => {
        const ring = new RingQueue<number>(capacity);
        const model: number[] = [];
        for (const command of commands) {
          if (command.op === 'push') {
            ring.push(command.value);
            model.push(command.value);
          } else if (command.op === 'shift') {
            expect(ring.shift()).toBe(model.shift());
          } else {
            const keep = (value: number): boolean => value % command.modulus === 0;
            ring.retain(keep);
            model.splice(0, model.length, ...model.filter(keep));
          }
          expect(ring.length).toBe(model.length);
          expect(ring.toArray()).toEqual(model);
          // No slot outside the queue still holds an item (after shift, retain and growth).
          const slots = (ring as unknown as { slots: (number | undefined)[] }).slots;
          expect(slots.filter((slot) => slot !== undefined).length).toBe(model.length);
        }
      }),
    );
  });

  it('shift on an empty queue returns undefined and leaves it usable', () => {
    const ring = new RingQueue<string>(1);
    expect(ring.shift()).toBeUndefined();
    ring.push('a');
    ring.push('b');
    expect(ring.shift()).toBe('a');
    expect(ring.shift()).toBe('b');
    expect(ring.shift()).toBeUndefined();
    expect(ring.length).toBe(0);
  });

  // A taken item must not stay reachable from the queue (the block cache reuses its nodes and
  // relies on the queue forgetting them).
  it('keeps no reference to an item it handed out', () => {
    const ring = new RingQueue<object>(4);
    const item = {};
    ring.push(item);
    ring.shift();
    const slots = (ring as unknown as { slots: unknown[] }).slots;
    expect(slots.includes(item)).toBe(false);
  });
});
