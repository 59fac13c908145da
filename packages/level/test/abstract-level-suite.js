// Runs abstract-level's compliance suite (abstract-level/test, with tape) against KvLevel's
// compiled dist/, each database in its own directory under one temporary directory. Prints
// only failures and a closing line, and writes abstract-level-results.json (one test per
// tape assertion, vitest's field names) for scripts/test-summary.mjs.
//
//   node test/abstract-level-suite.js          KvLevel (what `pnpm test` runs)
//   node test/abstract-level-suite.js memory   memory-level, to compare assertion counts
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'tape';
import suite from 'abstract-level/test/index.js'; // ESM needs the file: the package has no exports map

const target = process.argv[2] ?? 'kv';
const dir = mkdtempSync(join(tmpdir(), 'kv-level-suite-'));
let databaseCount = 0;
const factory = target === 'memory' ? await memoryFactory() : await kvFactory();

async function kvFactory() {
  const { KvLevel } = await import('@kv/level');
  return (options) => new KvLevel(join(dir, `db${databaseCount++}`), options);
}

async function memoryFactory() {
  const { MemoryLevel } = await import('memory-level');
  return (options) => new MemoryLevel(options);
}

// A run that does not finish (a test that never ends) must not keep CI waiting.
const SUITE_TIMEOUT_MS = 10 * 60 * 1000;
const watchdog = setTimeout(() => {
  console.log(`abstract-level: did not finish within ${SUITE_TIMEOUT_MS / 1000} s`);
  process.exit(1);
}, SUITE_TIMEOUT_MS);
watchdog.unref();

const started = Date.now();
let passed = 0, failed = 0, skipped = 0, current = '';
test.createStream({ objectMode: true }).on('data', (row) => {
  if (row.type === 'test') current = row.name;
  if (row.type !== 'assert') return;
  if (row.skip || row.todo) skipped++;
  else if (row.ok) passed++;
  else {
    failed++;
    console.log(`not ok: ${current} :: ${row.name}${row.error ? ` (${row.error.message ?? row.error})` : ''}`);
  }
}).on('end', () => {
  rmSync(dir, { recursive: true, force: true });
  if (target === 'kv') writeReport();
  console.log(`abstract-level (${target}): ${passed} passed, ${failed} failed, ${skipped} skipped in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
  // Databases some suite tests never close may keep handles open; the result is in.
  setTimeout(() => process.exit(), 5000).unref();
});

suite({ test, factory });

function writeReport() {
  const report = {
    numPassedTests: passed,
    numFailedTests: failed,
    numPendingTests: skipped,
    numTodoTests: 0,
    numTotalTests: passed + failed + skipped,
    success: failed === 0 && passed > 0,
  };
  writeFileSync(new URL('../abstract-level-results.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
}
