// Child process for the memtable-release test (run with --expose-gc). Writes through several
// memtable switches, recording a WeakRef to each active memtable (including the one the open
// recovered or created), flushes, collects garbage, and reports how many flushed memtables
// are still reachable. The engine's private `pipeline` is read directly: the memtables are
// not part of the public API.
import { DB } from '../../dist/index.js';

const [dir] = process.argv.slice(2);
const db = await DB.open(dir, { memtableSize: 64 * 1024 });
const memtables = [];
// No variable of this module may hold a memtable (a stack root would keep it alive).
const recordActive = () => {
  if (memtables.at(-1)?.deref() !== db.pipeline.active) memtables.push(new WeakRef(db.pipeline.active));
};
for (let round = 0; round < 6; round++) {
  recordActive();
  // A read caches the list of memtables it reads: that list must not keep flushed ones.
  if (round === 3) db.getSync('k0-0000');
  await db.write(Array.from({ length: 400 }, (_, i) => ({ type: 'put', key: `k${round}-${String(i).padStart(4, '0')}`, value: 'v'.repeat(200) })));
}
await db.flush();
const countReachable = () => memtables.filter((ref) => ref.deref() !== undefined && ref.deref() !== db.pipeline.active).length;
let reachable = 0;
for (let i = 0; i < 10; i++) {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  reachable = countReachable();
  if (reachable === 0) break;
}
await db.close();
process.stdout.write(JSON.stringify({ recorded: memtables.length, reachable }) + '\n');
