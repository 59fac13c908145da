// Measures the CPU cost of building a page file, without the disk: `TableBuilder.add` and
// `finish` for 300,000 records of the benchmark's shape (16-digit zero-padded keys, 100-byte
// values, seqs spread over the whole set) into a Vfs whose files discard what is written.
// Pass --legacy-pages for version 1 pages. Prints ns per record for rounds 3 to 6.
//
// Run: (cd packages/sstable && npx tsc -b) && node packages/sstable/bench/build.mjs [--legacy-pages]

import { setInvariantsEnabled } from '@kv/base';
import { TableBuilder } from '../dist/index.js';

const RECORDS = 300_000;
const ROUNDS = 6;
const options = { legacyPages: process.argv.includes('--legacy-pages') };
setInvariantsEnabled(false);

/** A Vfs whose files accept writes and syncs and keep nothing. */
const nullVfs = {
  async open(path) {
    return { path, async write() {}, async sync() {}, async close() {} };
  },
  async unlink() {},
};

const encoder = new TextEncoder();
const keys = [];
const values = [];
for (let i = 0; i < RECORDS; i++) {
  keys.push(encoder.encode(String(2 * i).padStart(16, '0')));
  const value = new Uint8Array(100);
  for (let j = 0; j < value.length; j++) value[j] = (i * 31 + j * (j < 50 ? 7 : 0)) & 0xff;
  values.push(value);
}

for (let round = 0; round < ROUNDS; round++) {
  const builder = await TableBuilder.create(nullVfs, `/db/${round}.sst`, options);
  const start = process.hrtime.bigint();
  for (let i = 0; i < RECORDS; i++) {
    builder.add(keys[i], 1 + ((i * 7919) % RECORDS), 1, values[i]);
    if ((i & 1023) === 0) await builder.writePending();
  }
  const properties = await builder.finish();
  const ns = Number(process.hrtime.bigint() - start) / RECORDS;
  if (round >= 2) console.log(`${options.legacyPages ? 'version 1' : 'compact'} pages: ${ns.toFixed(0)} ns per record, file ${properties.fileSizeBytes} bytes`);
}
