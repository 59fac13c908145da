// Child process for the concurrency test: a reader in another process while the parent writes.
// Opens the database in argv[2] with readOnly: true and, until told to stop, moves to the
// directory's current state and prints what it sees as one JSON line:
//   {"floor": n, "sequence": s, "entries": [[key, value], ...]}
// `floor` is the number of writes the parent had acknowledged (it says so on stdin as
// "acked <n>") before this observation began, so the state must hold at least those. Every
// fifth observation opens a new ReadOnlyDB instead of calling refresh(). After each
// observation it waits for news (a higher "acked" count), so it never repeats itself while
// the writer is busy. On "final <n>" it makes one last observation with floor n, prints
// "done" and exits. Any error (a refresh or open that gave up on the writer's file deletions
// included) is printed as {"error": code, "message": ...} and ends the process with exit
// code 1.
import { createInterface } from 'node:readline';
import { DB } from '../../dist/index.js';

const [dir] = process.argv.slice(2);
const decoder = new TextDecoder();
let acked = 0;
let finalCount;
let wake = () => undefined;
createInterface({ input: process.stdin }).on('line', (line) => {
  const [word, count] = line.split(' ');
  if (word === 'acked') acked = Math.max(acked, Number(count));
  if (word === 'final') finalCount = Number(count);
  wake();
});
/** Resolves once the parent acknowledged more than `floor` writes, or said it is done. */
function news(floor) {
  return new Promise((resolve) => {
    wake = () => {
      if (acked > floor || finalCount !== undefined) resolve();
    };
    wake();
  });
}

let reader;
try {
  for (let round = 0; ; round++) {
    const last = finalCount !== undefined;
    const floor = last ? finalCount : acked;
    if (reader === undefined || round % 5 === 0) {
      await reader?.close();
      reader = await DB.open(dir, { readOnly: true });
    } else {
      await reader.refresh();
    }
    const entries = [];
    for await (const [key, value] of reader.iterator()) entries.push([decoder.decode(key), decoder.decode(value)]);
    process.stdout.write(`${JSON.stringify({ floor, sequence: reader.sequence, entries })}\n`);
    if (last) break;
    await news(floor);
  }
  await reader.close();
  process.stdout.write('done\n');
  process.exit(0);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ error: error?.code ?? error?.name, message: String(error?.stack ?? error) })}\n`);
  process.exit(1);
}
