#!/usr/bin/env node
// Usage: node scripts/check-suites-ran.mjs <vitest-json-report> <tag>...   (tags: '[postgres]', '[real-data]', '[prometheus]')
// Fails unless, for every tag, the report holds tests whose names carry it and every one of them passed. A suite
// skips when its PostgreSQL server or its data is missing; in CI, which has both, a skipped one is a failure.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

const HINTS = {
  '[postgres]': 'is MLOPS_TEST_POSTGRES_URL set and the server up?',
  '[real-data]': 'is MLOPS_DATASETS_DIR set to a folder holding the example datasets?',
  '[prometheus]':
    'are prometheus, promtool, prometheus-alertmanager and amtool installed (apt-get install prometheus prometheus-alertmanager)?',
};

/** Counts the tests of `report` whose full name includes `tag`; returns the problems found (none: all passed). */
export function checkTag(report, tag) {
  const notPassed = [];
  let passed = 0;
  for (const file of report.testResults ?? []) {
    for (const t of file.assertionResults ?? []) {
      if (!t.fullName?.includes(tag)) continue;
      if (t.status === 'passed') passed++;
      else notPassed.push(`${t.fullName} (${t.status})`);
    }
  }
  const problems = [];
  if (passed + notPassed.length === 0) problems.push(`No ${tag} test ran: ${HINTS[tag] ?? 'is the suite included?'}`);
  if (notPassed.length > 0) {
    problems.push(`${notPassed.length} ${tag} test(s) did not pass:\n${notPassed.map((n) => `  - ${n}`).join('\n')}`);
  }
  return { passed, notPassed: notPassed.length, problems };
}

/** Prints the counts for each tag and returns the process exit code (1 when any tag has a problem). */
export function main(reportPath, tags) {
  const report = JSON.parse(readFileSync(reportPath, 'utf8'));
  let code = 0;
  for (const tag of tags) {
    const { passed, notPassed, problems } = checkTag(report, tag);
    console.log(`${tag} tests: ${passed} passed, ${notPassed} not passed`);
    for (const p of problems) console.error(p);
    if (problems.length > 0) code = 1;
  }
  return code;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [reportPath, ...tags] = process.argv.slice(2);
  if (!reportPath || tags.length === 0) {
    console.error('usage: check-suites-ran.mjs <vitest-json-report> <tag>...');
    process.exit(2);
  }
  process.exit(main(reportPath, tags));
}
