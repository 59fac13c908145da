import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { crc32, maskCrc, unmaskCrc } from '../src/index.js';

describe('crc32', () => {
  it('matches the standard check value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(crc32(new Uint8Array(0))).toBe(0);
  });

  // Goal: both implementations (table loop for short input, zlib for long) agree with zlib,
  // and chaining over a split equals one pass.
  // Strategy: random byte arrays up to 4 KiB (crossing the 512-byte switch) and random splits.
  // Invariants: crc32(a ++ b) = crc32(b, crc32(a)); result is an unsigned 32-bit integer.
  it('agrees with zlib and chains across any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(), (data, at) => {
        const split = data.length === 0 ? 0 : at % data.length;
        const whole = crc32(data);
        expect(whole).toBe(zlib.crc32(data));
        expect(crc32(data.subarray(split), crc32(data.subarray(0, split)))).toBe(whole);
        expect(whole >>> 0).toBe(whole);
      }),
    );
  });

  // Goal: masking is invertible and changes the value.
  // Strategy: random 32-bit values. Invariants: unmask(mask(c)) = c; results unsigned.
  it('masks reversibly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0xffffffff }), (crc) => {
        const masked = maskCrc(crc);
        expect(masked >>> 0).toBe(masked);
        expect(unmaskCrc(masked)).toBe(crc);
      }),
    );
  });
});
