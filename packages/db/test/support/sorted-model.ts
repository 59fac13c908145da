/**
 * The naive reference the engine is checked against: a map from hex-encoded key to value,
 * iterated by sorting keys as bytes.
 */
import { compareBytes } from '@kv/base';

export type ModelOp =
  | { type: 'put'; key: Uint8Array; value: Uint8Array }
  | { type: 'del'; key: Uint8Array }
  | { type: 'delRange'; start: Uint8Array; end: Uint8Array };

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

export class SortedModel {
  private readonly entries = new Map<string, [Uint8Array, Uint8Array]>();

  apply(ops: readonly ModelOp[]): void {
    for (const op of ops) {
      if (op.type === 'put') this.entries.set(hex(op.key), [op.key, op.value]);
      else if (op.type === 'del') this.entries.delete(hex(op.key));
      else this.deleteWhere((key) => compareBytes(key, op.start) >= 0 && compareBytes(key, op.end) < 0);
    }
  }

  /** Deletes every key `filter` accepts. */
  deleteWhere(filter: (key: Uint8Array) => boolean): void {
    for (const [name, [key]] of [...this.entries]) if (filter(key)) this.entries.delete(name);
  }

  get(key: Uint8Array): Uint8Array | undefined {
    return this.entries.get(hex(key))?.[1];
  }

  /** All entries in key order, optionally bounded by inclusive/exclusive limits. */
  scan(filter: (key: Uint8Array) => boolean = () => true): [Uint8Array, Uint8Array][] {
    return [...this.entries.values()].filter(([key]) => filter(key)).sort((a, b) => compareBytes(a[0], b[0]));
  }

  clone(): SortedModel {
    const copy = new SortedModel();
    for (const [k, v] of this.entries) copy.entries.set(k, v);
    return copy;
  }
}

/** Reads every entry of an async iterable of pairs. */
export async function collect(iterable: AsyncIterable<[Uint8Array, Uint8Array]>): Promise<[Uint8Array, Uint8Array][]> {
  const out: [Uint8Array, Uint8Array][] = [];
  for await (const entry of iterable) out.push(entry);
  return out;
}

/** A compact string form of entries for readable assertion failures. */
export function show(entries: readonly [Uint8Array, Uint8Array][]): string[] {
  return entries.map(([k, v]) => `${hex(k)}=${hex(v)}`);
}
