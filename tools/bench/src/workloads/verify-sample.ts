/**
 * Reads back a sample of records and compares their bytes with the generator's, so a result
 * from an engine that stored the wrong bytes (or an adapter bug) cannot pass as a number.
 */
import type { Dataset } from '../dataset.js';
import type { EngineAdapter } from '../engines/engine-adapter.js';
import type { KeyPicker } from '../key-picker.js';

const SAMPLE_SIZE = 200;

/** Returns how many sampled records were missing or differed from what was written. */
export async function countMismatches(engine: EngineAdapter, dataset: Dataset, picker: KeyPicker, version: number): Promise<number> {
  let mismatches = 0;
  for (let i = 0; i < SAMPLE_SIZE; i++) {
    const index = picker.uniform();
    const stored = await engine.read(dataset.key(index));
    if (stored === undefined || !Buffer.from(stored.buffer, stored.byteOffset, stored.byteLength).equals(dataset.value(index, version))) {
      mismatches++;
    }
  }
  return mismatches;
}
