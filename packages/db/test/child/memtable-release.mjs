// Child process for the memtable-release test (run with --expose-gc). Writes through several
// memtable switches, recording WeakRefs to each memtable it saw active and to the memtable's
// entry tree (what holds the entries and, through them, the batch payloads), flushes, collects
// garbage, and reports how many flushed memtables are still reachable. The engine's private
// `pipeline` and the memtable's `tree` are read directly: they are not part of the public API.
// Scenarios (argv[3]):
//   writes     writes only, one read in the middle (reads cache the list of memtables);
//   iterators  iterators made over the memtables, closed, and still held by the caller;
//   timer      a flush timer that saw the memtable before it was switched out and flushed.
import { DB } from '../../dist/index.js';

const [dir, scenario] = process.argv.slice(2);
const db = await DB.open(dir, { memtableSize: 64 * 1024, ...(scenario === 'timer' ? { flushIntervalMs: 1000 } : {}) });
const refs = [];
const held = [];
// No variable of this module may hold a memtable (a stack root would keep it alive).
const recordActive = () => {
  if (refs.at(-1)?.memtable.deref() !== db.pipeline.active) refs.push({ memtable: new WeakRef(db.pipeline.active), tree: new WeakRef(db.pipeline.active.tree) });
};
const writeRound = (round) => db.write(Array.from({ length: 400 }, (_, i) => ({ type: 'put', key: `k${round}-${String(i).padStart(4, '0')}`, value: 'v'.repeat(200) })));

if (scenario === 'timer') {
  await db.put('first', 'x');
  recordActive();
  // The timer's first tick sees this memtable (not empty); then it fills, switches and flushes.
  await new Promise((resolve) => setTimeout(resolve, 1100));
  for (let round = 0; round < 2; round++) await writeRound(round);
} else {
  for (let round = 0; round < 6; round++) {
    recordActive();
    if (scenario === 'writes' && round === 3) db.getSync('k0-0000');
    if (scenario === 'iterators') {
      const drained = db.iterator();
      for await (const entry of drained) void entry;
      const read = db.iterator();
      read.read(10);
      read.close();
      held.push(drained, read);
    }
    await writeRound(round);
  }
}
await db.flush();
const countReachable = () => refs.filter(({ memtable, tree }) => memtable.deref() !== db.pipeline.active && (memtable.deref() !== undefined || tree.deref() !== undefined)).length;
let reachable = 0;
for (let i = 0; i < 10; i++) {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 20));
  reachable = countReachable();
  if (reachable === 0) break;
}
await db.close();
process.stdout.write(JSON.stringify({ recorded: refs.length, reachable, held: held.length }) + '\n');
