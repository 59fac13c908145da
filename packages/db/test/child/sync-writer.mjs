// Child process for the SIGKILL test. Opens the database in argv[2] with tiny memtables and
// compaction targets (so memtable switches, flushes and worker-thread compactions run all the
// time) and writes keys `<run>:<i>` with `sync: true`, `concurrency` writes in flight at once,
// printing `ack <i>` on stdout once each write resolved. It never stops by itself: the parent
// kills it.
import { DB } from '../../dist/index.js';

const [dir, run, concurrencyText] = process.argv.slice(2);
const concurrency = Number(concurrencyText);
const db = await DB.open(dir, {
  memtableSize: 8192,
  compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 32 * 1024, targetFileSizeBytes: 16 * 1024 },
});
let next = 0;

async function writer() {
  for (;;) {
    const i = next++;
    await db.put(`${run}:${String(i).padStart(8, '0')}`, `value ${run} ${i} ${'x'.repeat(i % 200)}`, { sync: true });
    process.stdout.write(`ack ${i}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all(Array.from({ length: concurrency }, writer));
