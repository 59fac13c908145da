// Measures what a page read from the OS costs after the read itself: the checksum and header
// check (`checkPage`), then the whole decode (`DataPage.decode`: checksum, descriptor, slot
// checks). The page is the first of a file of the benchmark's shape: 16-digit zero-padded
// keys, 100-byte values, seqs spread over 100,000. Pass --legacy-pages for a version 1 page.
//
// Run: (cd packages/sstable && npx tsc -b) && node packages/sstable/bench/page-decode.mjs [--legacy-pages]

import { setInvariantsEnabled } from '@kv/base';
import { MemoryVfs } from '@kv/vfs';
import { DataPage } from '../dist/data-page.js';
import { TableBuilder } from '../dist/index.js';
import { checkPage } from '../dist/page-header.js';
import { resolveLayout } from '../dist/table-layout.js';

const DECODES = 200_000;
const ROUNDS = 5;
const options = { legacyPages: process.argv.includes('--legacy-pages') };
setInvariantsEnabled(false);

const vfs = new MemoryVfs();
await vfs.mkdir('/db', { recursive: true });
const builder = await TableBuilder.create(vfs, '/db/000001.sst', options);
const encoder = new TextEncoder();
for (let i = 0; i < 2000; i++) {
  const value = new Uint8Array(100);
  for (let j = 0; j < value.length; j++) value[j] = (i * 7 + j) & 0xff;
  builder.add(encoder.encode(String(2 * i).padStart(16, '0')), 1 + ((i * 7919) % 100_000), 1, value);
}
await builder.finish();
const layout = resolveLayout(options);
const page = (await vfs.readFile('/db/000001.sst')).subarray(0, layout.pageSizeBytes);

function nsPer(run) {
  const start = process.hrtime.bigint();
  for (let i = 0; i < DECODES; i++) run();
  return Number(process.hrtime.bigint() - start) / DECODES;
}

for (let round = 0; round < ROUNDS; round++) {
  const decode = nsPer(() => DataPage.decode(page, layout, 0, 'page 0'));
  const check = nsPer(() => checkPage(page, { kind: 1, id: 0 }, 'page 0'));
  console.log(`${options.legacyPages ? 'version 1' : 'compact'} page: decode ${decode.toFixed(0)} ns, of which checksum and header ${check.toFixed(0)} ns`);
}
