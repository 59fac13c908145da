// Child process for the misuse tests: opens the database in argv[2] with the options in
// argv[3] (JSON, default {}), closes it again, and prints one JSON line: {"ok":true}, or the
// error's name, code and message. A second process must get LOCKED while the parent holds the
// directory, and must open it normally once the parent closed it.
import { DB } from '../../dist/index.js';

const [dir, optionsJson = '{}'] = process.argv.slice(2);
try {
  const db = await DB.open(dir, JSON.parse(optionsJson));
  await db.close();
  process.stdout.write(`${JSON.stringify({ ok: true })}\n`);
} catch (error) {
  process.stdout.write(`${JSON.stringify({ name: error?.name, code: error?.code, message: String(error?.message) })}\n`);
}
