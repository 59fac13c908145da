/**
 * The reference program: opens a database in ./data (or the directory given as the first
 * argument), writes a batch of records durably, closes, reopens, reads everything back and
 * checks it. Run it twice: the second run finds the first run's data.
 */
import { resolve } from 'node:path';
import { DB } from '@kv/db';

const RECORD_COUNT = 1000;
const decoder = new TextDecoder();

async function main(dir: string): Promise<void> {
  const writer = await DB.open(dir);
  const previous = await writer.get('demo:runs');
  const run = previous === undefined ? 1 : Number(decoder.decode(previous)) + 1;
  const ops = [];
  for (let i = 0; i < RECORD_COUNT; i++) {
    ops.push({ type: 'put' as const, key: `demo:item:${String(i).padStart(6, '0')}`, value: `run ${run}, item ${i}` });
  }
  await writer.write(ops, { sync: true });
  await writer.put('demo:runs', String(run), { sync: true });
  await writer.close();

  const reader = await DB.open(dir, { createIfMissing: false });
  let count = 0;
  for await (const [key, value] of reader.range('demo:item:', 'demo:item:~')) {
    const expected = `run ${run}, item ${Number(decoder.decode(key).slice('demo:item:'.length))}`;
    if (decoder.decode(value) !== expected) throw new Error(`read back ${decoder.decode(value)}, expected ${expected}`);
    count++;
  }
  await reader.close();
  if (count !== RECORD_COUNT) throw new Error(`read back ${count} records, expected ${RECORD_COUNT}`);
  console.log(`kv demo: run ${run} wrote ${RECORD_COUNT} records to ${dir}, reopened and read all ${count} back intact`);
}

main(resolve(process.argv[2] ?? 'data')).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
