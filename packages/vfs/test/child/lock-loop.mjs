// Takes and releases the NodeVfs lock at argv[2] in a loop until killed; prints "ready" once
// the first lock was taken. Used by test/lock.test.ts to kill a process inside `lock()`.
import { NodeVfs } from '../../dist/index.js';

const vfs = new NodeVfs();
const path = process.argv[2];
let first = true;
for (;;) {
  const lock = await vfs.lock(path);
  if (first) {
    console.log('ready');
    first = false;
  }
  await lock.release();
}
