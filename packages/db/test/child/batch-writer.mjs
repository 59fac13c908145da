// Child process for the read-only tests. Opens the database in argv[2] with tiny memtables and
// compaction targets (so flushes, compactions and WAL switches run all the time) and writes
// batch after batch: batch i sets `counter` = i and `item:<i>`, deletes `item:<i - 50>`, and
// every 100th batch also range-deletes old items. So a consistent state with counter = c holds
// exactly the items c-49 .. c. It prints `ready` after the first batch and never stops by
// itself: the parent kills it.
import { DB } from '../../dist/index.js';

const [dir] = process.argv.slice(2);
const db = await DB.open(dir, {
  memtableSize: 8192,
  compaction: { level0CompactionTrigger: 2, baseLevelBytesMin: 32 * 1024, targetFileSizeBytes: 16 * 1024 },
});
const item = (i) => `item:${String(i).padStart(8, '0')}`;
for (let i = 0; ; i++) {
  const ops = [
    { type: 'put', key: 'counter', value: String(i) },
    { type: 'put', key: item(i), value: `value ${i} ${'x'.repeat(i % 300)}` },
  ];
  if (i >= 50) ops.push({ type: 'del', key: item(i - 50) });
  if (i % 100 === 99) ops.push({ type: 'delRange', start: item(0), end: item(i - 49) });
  await db.write(ops);
  if (i === 0) process.stdout.write('ready\n');
}
