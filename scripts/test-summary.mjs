// Sums the per-package vitest JSON reports into the one closing line CI reads.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

let passed = 0, failed = 0, skipped = 0, files = 0;
for (const group of ['packages', 'apps', 'tools']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    const file = `${group}/${name}/test-results.json`;
    if (!existsSync(file)) continue;
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests;
    failed += report.numFailedTests;
    skipped += report.numPendingTests + (report.numTodoTests ?? 0);
    files++;
  }
}
if (files === 0) { console.error('test-summary: no test-results.json found'); process.exit(1); }
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
