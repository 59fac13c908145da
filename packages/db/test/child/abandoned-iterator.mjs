// Child process for the abandoned-iterator test (run with --expose-gc). Pins the page files
// with an iterator that is dropped without close, compacts them away, then collects garbage
// and reports which of the old files are still in the directory before and after.
import { readdirSync } from 'node:fs';
import { DB } from '../../dist/index.js';

const [dir] = process.argv.slice(2);
const db = await DB.open(dir);
const tables = () => readdirSync(dir).filter((name) => name.endsWith('.sst'));
await db.write(Array.from({ length: 1000 }, (_, i) => ({ type: 'put', key: `k${String(i).padStart(4, '0')}`, value: 'v'.repeat(100) })));
await db.compactRange();
// Files the compaction replaced are deleted in the background: let that finish first.
await new Promise((resolve) => setTimeout(resolve, 100));
const pinned = tables();
(() => {
  const iterator = db.iterator();
  iterator.read(5); // open, pinning the files, and never closed
})();
await db.write(Array.from({ length: 1000 }, (_, i) => ({ type: 'put', key: `k${String(i).padStart(4, '0')}`, value: 'w'.repeat(100) })));
await db.compactRange();
const keptWhilePinned = pinned.filter((name) => tables().includes(name));
for (let i = 0; i < 10 && pinned.some((name) => tables().includes(name)); i++) {
  globalThis.gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
}
const keptAfterGc = pinned.filter((name) => tables().includes(name));
await db.close();
process.stdout.write(JSON.stringify({ pinned, keptWhilePinned, keptAfterGc }) + '\n');
