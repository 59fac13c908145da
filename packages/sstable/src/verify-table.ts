/**
 * `TableReader.verify`: reads every page again (async, one page or chain at a time) and checks
 * what a point read cannot afford to: internal order across all slots, each page's last entry
 * against its fence, the statistics against the entries, and that data pages and overflow
 * chains tile the data region exactly with zero padding after it.
 */
import { CorruptionError, EntryKind, equalBytes, compareInternal } from '@kv/base';
import type { InternalEntry } from '@kv/base';
import type { DataPage } from './data-page.js';
import { decodeOverflowChain, overflowPageCount } from './overflow-chain.js';
import type { TableFile } from './table-file.js';
import type { TableProperties } from './table-properties.js';

interface Range {
  fileOffset: number;
  storedBytes: number;
}

interface Tally {
  entries: number;
  tombstones: number;
  seqMin: number;
  seqMax: number;
  first: InternalEntry | undefined;
  last: InternalEntry | undefined;
}

export async function verifyTable(table: TableFile, properties: TableProperties): Promise<{ pagesChecked: number }> {
  const metadata = await table.rereadMetadata();
  let pagesChecked = metadata.pageCount;
  const ranges: Range[] = [];
  const tally: Tally = { entries: 0, tombstones: 0, seqMin: Infinity, seqMax: -Infinity, first: undefined, last: undefined };
  const index = table.index;
  for (let i = 0; i < index.pageCount; i++) {
    const range = { fileOffset: index.fileOffsets[i] ?? 0, storedBytes: index.storedBytes[i] ?? 0 };
    const page = table.decodePage(await table.read(range.fileOffset, range.storedBytes, table.pageWhere(i)), i);
    ranges.push(range);
    pagesChecked++;
    checkPageEntries(page, table, tally);
    for (const ref of page.overflowRefs()) {
      const chain = table.overflowRange(page, ref.refOffset);
      decodeOverflowChain(await table.read(chain.fileOffset, chain.storedBytes, chain.where), ref.length, table.layout, chain.where);
      ranges.push(chain);
      pagesChecked += overflowPageCount(ref.length, table.layout.pageSizeBytes);
    }
  }
  checkTally(tally, properties, table.path);
  checkTiling(ranges, table.dataRegionBytes, table.path);
  const paddingStart = table.dataRegionBytes;
  const paddingEnd = Math.ceil(paddingStart / table.layout.pageSizeBytes) * table.layout.pageSizeBytes;
  const padding = await table.read(paddingStart, paddingEnd - paddingStart, `${table.path} padding`);
  if (padding.some((byte) => byte !== 0)) throw new CorruptionError(`${table.path} padding`, 'padding after the data region is not zero');
  return { pagesChecked };
}

/** Every slot sorts after the one before it (across pages); the last slot is the page's fence. */
function checkPageEntries(page: DataPage, table: TableFile, tally: Tally): void {
  const where = table.pageWhere(page.ordinal);
  for (let s = 0; s < page.slotCount; s++) {
    const entry = page.entryAt(s, table);
    if (tally.last !== undefined && compareInternal(entry.key, entry.seq, tally.last.key, tally.last.seq) <= 0) {
      throw new CorruptionError(where, `slot ${s} is out of order`);
    }
    tally.first ??= entry;
    tally.last = entry;
    tally.entries++;
    if (entry.kind === EntryKind.Delete) tally.tombstones++;
    tally.seqMin = Math.min(tally.seqMin, entry.seq);
    tally.seqMax = Math.max(tally.seqMax, entry.seq);
  }
  const last = tally.last;
  const fenceKey = table.index.lastKeyOf(page.ordinal);
  if (last === undefined || !equalBytes(last.key, fenceKey) || last.seq !== table.index.lastSeqOf(page.ordinal)) {
    throw new CorruptionError(where, 'last entry differs from the index fence');
  }
}

function checkTally(tally: Tally, properties: TableProperties, path: string): void {
  const where = `${path} properties`;
  if (tally.entries !== properties.entryCount || tally.tombstones !== properties.tombstoneCount) throw new CorruptionError(where, 'entry counts differ from the pages');
  if (tally.first === undefined || tally.last === undefined) return;
  if (!equalBytes(tally.first.key, properties.smallestKey) || !equalBytes(tally.last.key, properties.largestKey)) throw new CorruptionError(where, 'key range differs from the pages');
  if (tally.seqMin !== properties.seqMin || tally.seqMax !== properties.seqMax) throw new CorruptionError(where, 'seq range differs from the pages');
}

/** Pages and chains must cover [0, dataRegionBytes) with no gap and no overlap. */
function checkTiling(ranges: Range[], dataRegionBytes: number, path: string): void {
  ranges.sort((a, b) => a.fileOffset - b.fileOffset);
  let end = 0;
  for (const range of ranges) {
    if (range.fileOffset !== end) throw new CorruptionError(`${path} data region`, `gap or overlap at offset ${range.fileOffset}`);
    end += range.storedBytes;
  }
  if (end !== dataRegionBytes) throw new CorruptionError(`${path} data region`, `pages end at ${end}, footer says ${dataRegionBytes}`);
}
