import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Dataset } from '../src/dataset.js';

const PRINTABLE = /^[\x20-\x7e]*$/;

describe('Dataset', () => {
  it('builds every value as a printable run of half its length, repeated (half compressible)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 600 }), fc.nat(), fc.nat({ max: 3 }), fc.nat(), (valueBytes, index, version, seed) => {
        const value = new Dataset({ keyBytes: 16, valueBytes, seed }).value(index, version);
        expect(value.length).toBe(valueBytes);
        expect(PRINTABLE.test(value.toString('latin1'))).toBe(true);
        const runBytes = Math.max(1, Math.floor(valueBytes / 2));
        for (let i = runBytes; i < valueBytes; i++) expect(value[i]).toBe(value[i % runBytes]);
      }),
    );
  });

  it('gives every child byte-identical data for one seed, and other data for another', () => {
    const first = new Dataset({ keyBytes: 16, valueBytes: 100, seed: 301 });
    const second = new Dataset({ keyBytes: 16, valueBytes: 100, seed: 301 });
    const other = new Dataset({ keyBytes: 16, valueBytes: 100, seed: 302 });
    for (const index of [0, 1, 77, 999_999]) {
      expect(first.value(index, 0)).toEqual(second.value(index, 0));
      expect(first.key(index)).toEqual(second.key(index));
    }
    expect(first.value(5, 0)).not.toEqual(other.value(5, 0));
  });

  it('draws values from many pieces, and an overwrite usually changes the value', () => {
    const dataset = new Dataset({ keyBytes: 16, valueBytes: 100, seed: 301 });
    const distinct = new Set<string>();
    let changed = 0;
    for (let index = 0; index < 2000; index++) {
      distinct.add(dataset.value(index, 0).toString('latin1'));
      if (!dataset.value(index, 0).equals(dataset.value(index, 1))) changed++;
    }
    expect(distinct.size).toBeGreaterThan(1800);
    expect(changed).toBeGreaterThan(1990);
  });

  it('orders keys so that missing key i sorts between present keys i and i + 1', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 10 ** 9 }), (index) => {
        const dataset = new Dataset({ keyBytes: 16, valueBytes: 8, seed: 1 });
        expect(Buffer.compare(dataset.key(index), dataset.missingKey(index))).toBe(-1);
        expect(Buffer.compare(dataset.missingKey(index), dataset.key(index + 1))).toBe(-1);
      }),
    );
  });

  it('rejects a key number that does not fit the key width', () => {
    expect(() => new Dataset({ keyBytes: 2, valueBytes: 8, seed: 1 }).key(50)).toThrow(RangeError);
  });
});
