import { describe, expect, it } from 'vitest';
import { asIs, levelScanOptions } from '../src/engines/engine-adapter.js';

describe('levelScanOptions', () => {
  // The adapters pass this object straight to the engines: no `gte` key at all when the scan
  // starts at an end (an engine may read `gte: undefined` as a bound), and the key converted.
  it('leaves gte out when the scan has no first key', () => {
    const options = levelScanOptions({ reverse: true, limit: 5 }, asIs);
    expect(options).toEqual({ reverse: true, limit: 5 });
    expect('gte' in options).toBe(false);
  });

  it('passes the first key through the conversion', () => {
    const key = Buffer.from('k1');
    expect(levelScanOptions({ gte: key, reverse: false, limit: 11 }, asIs)).toEqual({ gte: key, reverse: false, limit: 11 });
    expect(levelScanOptions({ gte: key, reverse: false, limit: 11 }, (k) => k.toString('hex'))).toEqual({ gte: '6b31', reverse: false, limit: 11 });
  });
});
