#!/usr/bin/env node
// Fails unless the vitest JSON report shows PostgreSQL suites ([postgres] in their names) that ran and passed:
// in CI a PostgreSQL suite must never be skipped silently.
import { readFileSync } from 'node:fs';

const report = JSON.parse(readFileSync(process.argv[2], 'utf8'));
let passed = 0;
let skipped = 0;
for (const file of report.testResults ?? []) {
  for (const t of file.assertionResults ?? []) {
    if (!t.fullName?.includes('[postgres]')) continue;
    if (t.status === 'passed') passed++;
    else skipped++;
  }
}
console.log(`PostgreSQL tests: ${passed} passed, ${skipped} not passed`);
if (passed === 0) {
  console.error('No PostgreSQL test ran: is MLOPS_TEST_POSTGRES_URL set and the server up?');
  process.exit(1);
}
