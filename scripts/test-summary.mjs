// Sums the per-package test reports into the one closing line CI reads: vitest's JSON
// reports (test-results.json) and the abstract-level compliance suite's report
// (abstract-level-results.json, one test per tape assertion), which have the same fields.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

const REPORT_FILES = ['test-results.json', 'abstract-level-results.json'];

let passed = 0, failed = 0, skipped = 0, files = 0;
for (const group of ['packages', 'apps', 'tools']) {
  if (!existsSync(group)) continue;
  for (const name of readdirSync(group)) {
    for (const reportFile of REPORT_FILES) {
      const file = `${group}/${name}/${reportFile}`;
      if (!existsSync(file)) continue;
      const report = JSON.parse(readFileSync(file, 'utf8'));
      passed += report.numPassedTests;
      failed += report.numFailedTests;
      skipped += report.numPendingTests + (report.numTodoTests ?? 0);
      files++;
    }
  }
}
if (files === 0) { console.error('test-summary: no test-results.json found'); process.exit(1); }
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
