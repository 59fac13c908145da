/**
 * What a page file says about itself. The statistics live in the properties section; the
 * layout fields (page size, compression, fixed widths) come from the footer.
 */
import { CorruptionError } from '@kv/base';
import { KEY_BYTES_MAX, PROPERTIES_FIXED_BYTES } from './format.js';
import { readUint64Number, writeUint64Number } from './seq-field.js';
import type { FixedWidthSizes, TableCompression } from './table-layout.js';

export interface TableProperties {
  /** Smallest and largest user keys; empty arrays when the file has no entries. */
  smallestKey: Uint8Array;
  largestKey: Uint8Array;
  /** Smallest and largest seq; 0 when the file has no entries. */
  seqMin: number;
  seqMax: number;
  entryCount: number;
  tombstoneCount: number;
  dataPageCount: number;
  pageSizeBytes: number;
  compression: TableCompression;
  fixedWidth: FixedWidthSizes | undefined;
  /** Bytes of the data and overflow page images before compression. */
  rawDataBytes: number;
  fileSizeBytes: number;
  formatVersion: number;
}

/** The statistics the properties section stores. */
export interface TableStatistics {
  smallestKey: Uint8Array;
  largestKey: Uint8Array;
  seqMin: number;
  seqMax: number;
  entryCount: number;
  tombstoneCount: number;
  rawDataBytes: number;
}

export function encodeStatistics(stats: TableStatistics): Uint8Array {
  const out = new Uint8Array(PROPERTIES_FIXED_BYTES + stats.smallestKey.length + stats.largestKey.length);
  const view = new DataView(out.buffer);
  writeUint64Number(view, 0, stats.entryCount);
  writeUint64Number(view, 8, stats.tombstoneCount);
  writeUint64Number(view, 16, stats.seqMin);
  writeUint64Number(view, 24, stats.seqMax);
  writeUint64Number(view, 32, stats.rawDataBytes);
  view.setUint32(40, stats.smallestKey.length, true);
  view.setUint32(44, stats.largestKey.length, true);
  out.set(stats.smallestKey, PROPERTIES_FIXED_BYTES);
  out.set(stats.largestKey, PROPERTIES_FIXED_BYTES + stats.smallestKey.length);
  return out;
}

/** Decodes and checks the properties section. Keys are copies, so they outlive the section. */
export function decodeStatistics(section: Uint8Array, where: string): TableStatistics {
  if (section.length < PROPERTIES_FIXED_BYTES) throw new CorruptionError(where, 'properties section too short');
  const view = new DataView(section.buffer, section.byteOffset, section.length);
  const numbers = [0, 8, 16, 24, 32].map((at) => readUint64Number(view, at));
  const [entryCount = -1, tombstoneCount = -1, seqMin = -1, seqMax = -1, rawDataBytes = -1] = numbers;
  if (numbers.some((n) => n < 0)) throw new CorruptionError(where, 'a property exceeds 2^53 - 1');
  const smallestLength = view.getUint32(40, true);
  const largestLength = view.getUint32(44, true);
  if (smallestLength > KEY_BYTES_MAX || largestLength > KEY_BYTES_MAX || PROPERTIES_FIXED_BYTES + smallestLength + largestLength !== section.length) {
    throw new CorruptionError(where, 'properties key lengths do not match the section');
  }
  if (tombstoneCount > entryCount || seqMin > seqMax) throw new CorruptionError(where, 'inconsistent properties');
  const smallestKey = section.slice(PROPERTIES_FIXED_BYTES, PROPERTIES_FIXED_BYTES + smallestLength);
  const largestKey = section.slice(PROPERTIES_FIXED_BYTES + smallestLength, section.length);
  return { smallestKey, largestKey, seqMin, seqMax, entryCount, tombstoneCount, rawDataBytes };
}
