/**
 * A first-in, first-out queue in a circular array. `push` and `shift` move two indexes and
 * allocate nothing once the array is as large as the queue has ever been (it doubles when
 * full), where an `Array` used as a queue (`push` plus `shift`, or a moving head with `slice`)
 * copies itself again and again. A taken slot is cleared, so the queue keeps no reference to
 * what it handed out.
 */
export class RingQueue<T> {
  private slots: (T | undefined)[];
  /** Index of the first item. */
  private head = 0;
  private size = 0;

  constructor(initialCapacity = 16) {
    this.slots = new Array<T | undefined>(ceilPowerOfTwo(Math.max(1, initialCapacity))).fill(undefined);
  }

  get length(): number {
    return this.size;
  }

  /** Adds `item` at the back. */
  push(item: T): void {
    if (this.size === this.slots.length) this.grow();
    this.slots[(this.head + this.size) & (this.slots.length - 1)] = item;
    this.size++;
  }

  /** Takes the front item; undefined when the queue is empty. */
  shift(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.slots[this.head];
    this.slots[this.head] = undefined;
    this.head = (this.head + 1) & (this.slots.length - 1);
    this.size--;
    return item;
  }

  /** Keeps only the items `keep` accepts, in their order. */
  retain(keep: (item: T) => boolean): void {
    // Each item is taken from the front once and put back at the end when kept.
    const count = this.size;
    for (let i = 0; i < count; i++) {
      const item = this.shift() as T;
      if (keep(item)) this.push(item);
    }
  }

  /** The items front to back (for tests and diagnostics). */
  toArray(): T[] {
    const items: T[] = [];
    for (let i = 0; i < this.size; i++) items.push(this.slots[(this.head + i) & (this.slots.length - 1)] as T);
    return items;
  }

  /** Doubles the array, laying the items out from index 0. */
  private grow(): void {
    const items = this.toArray();
    this.slots = new Array<T | undefined>(this.slots.length * 2).fill(undefined);
    for (let i = 0; i < items.length; i++) this.slots[i] = items[i];
    this.head = 0;
  }
}

function ceilPowerOfTwo(n: number): number {
  let power = 1;
  while (power < n) power *= 2;
  return power;
}
