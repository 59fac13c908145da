// Child process of the mixed crash test: opens the database in argv[2] with tiny memtables
// and compaction targets (switches, flushes, manifest edits and worker compactions run all
// the time) and writes operations `first`, `first + 1`, ... of the stream `seed` (see
// mixed-ops.mjs) with sync: true, `concurrency` in flight. Prints `ready` once open, `sub i`
// before issuing operation i and `ack i` once it resolved. Never stops: the parent kills it.
import { DB } from '../../dist/index.js';
import { opsAt } from './mixed-ops.mjs';

const [dir, seedText, firstText, concurrencyText] = process.argv.slice(2);
const seed = Number(seedText);
let next = Number(firstText);
const db = await DB.open(dir, {
  memtableSize: 8192,
  compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 32 * 1024, targetFileSizeBytes: 16 * 1024 },
});
process.stdout.write('ready\n');

async function writer() {
  for (;;) {
    const i = next++;
    process.stdout.write(`sub ${i}\n`);
    await db.write(opsAt(seed, i), { sync: true });
    process.stdout.write(`ack ${i}\n`);
  }
}
await Promise.all(Array.from({ length: Number(concurrencyText) }, writer));
