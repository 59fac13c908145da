import type { TableFileMeta } from '@kv/manifest';
import type { TableProperties } from '@kv/sstable';

/** The manifest's record of a page file at `level`, from the properties its builder returned. */
export function toFileMeta(level: number, fileNumber: number, properties: TableProperties): TableFileMeta {
  return {
    level,
    fileNumber,
    sizeBytes: properties.fileSizeBytes,
    smallestKey: properties.smallestKey,
    largestKey: properties.largestKey,
    seqMin: properties.seqMin,
    seqMax: properties.seqMax,
    entryCount: properties.entryCount,
    tombstoneCount: properties.tombstoneCount,
  };
}
