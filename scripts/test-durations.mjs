// A vitest reporter (vitest.config.ts and .ci/run use it beside their own) that prints, after a run, how long the run
// took against the test budget, the slowest test files, and the time per package, so a suite that grows slow is seen
// the day it lands. Over the budget it warns; it never fails a run (the time depends on the machine).
//
// The budget: MLOPS_TEST_BUDGET_SECONDS, default 300 (the whole `npm test` on a 2-core machine, CONTRIBUTING.md).
// MLOPS_TEST_DURATIONS_TOP sets how many files are listed (default 12; 0 prints only the totals).
import { loadavg } from 'node:os';
import { relative } from 'node:path';

export const DEFAULT_BUDGET_SECONDS = 300;
const DEFAULT_TOP = 12;

const seconds = (ms) => `${(ms / 1000).toFixed(1)} s`;

/** The package a test file belongs to: `packages/core`, `packages/plugins/s3`, `examples/secom`, `scripts`, … */
export function packageOf(file) {
  const parts = file.split('/');
  if (parts[0] === 'packages' && parts[1] === 'plugins') return parts.slice(0, 3).join('/');
  if (parts[0] === 'packages' || parts[0] === 'examples') return parts.slice(0, 2).join('/');
  return parts[0];
}

/**
 * The lines to print for a run. `files`: `{ file, ms, tests }` per test file (ms: import, setup and tests in its
 * worker); `wallMs`: the whole run; `workers`: how many files ran at once.
 */
export function durationLines({ files, wallMs, workers, budgetSeconds = DEFAULT_BUDGET_SECONDS, top = DEFAULT_TOP }) {
  const sorted = [...files].sort((a, b) => b.ms - a.ms);
  const sumMs = sorted.reduce((sum, f) => sum + f.ms, 0);
  const tests = sorted.reduce((sum, f) => sum + f.tests, 0);
  const lines = [];
  if (top > 0 && sorted.length > 0) {
    lines.push(`Slowest test files (of ${sorted.length}):`);
    for (const f of sorted.slice(0, top)) lines.push(`  ${seconds(f.ms).padStart(8)}  ${f.file} (${f.tests} tests)`);
    const byPackage = new Map();
    for (const f of sorted) {
      const key = packageOf(f.file);
      const entry = byPackage.get(key) ?? { ms: 0, files: 0 };
      entry.ms += f.ms;
      entry.files += 1;
      byPackage.set(key, entry);
    }
    lines.push('Time per package (sum of its files):');
    for (const [name, p] of [...byPackage].sort((a, b) => b[1].ms - a[1].ms).slice(0, top)) {
      lines.push(`  ${seconds(p.ms).padStart(8)}  ${name} (${p.files} files)`);
    }
  }
  const budgetMs = budgetSeconds * 1000;
  const share = Math.round((wallMs / budgetMs) * 100);
  lines.push(
    `Test time: ${seconds(wallMs)} for ${tests} tests in ${sorted.length} files (${seconds(sumMs)} of file time, ` +
      `${workers} at once); budget ${budgetSeconds} s (${share}%).`,
  );
  if (wallMs > budgetMs) {
    lines.push(
      `WARNING: the tests took ${seconds(wallMs)}, over the ${budgetSeconds} s budget: make the slowest files above ` +
        `cheaper (CONTRIBUTING.md, "Running the tests"). Load average at the end: ${loadavg()
          .map((l) => l.toFixed(1))
          .join(' ')}.`,
    );
  }
  return { lines, overBudget: wallMs > budgetMs };
}

/** The vitest reporter: `reporters: ['default', './scripts/test-durations.mjs']`. */
export default class TestDurationsReporter {
  started = performance.now();
  root = process.cwd();
  workers = 1;

  onInit(vitest) {
    this.root = vitest.config.root;
    this.workers = vitest.config.maxWorkers ?? 1;
  }

  onTestRunStart() {
    this.started = performance.now();
  }

  onTestRunEnd(testModules) {
    const files = testModules.map((m) => {
      const d = m.diagnostic();
      let tests = 0;
      for (const _ of m.children.allTests()) tests++;
      return {
        file: relative(this.root, m.moduleId).split('\\').join('/'),
        ms: d.prepareDuration + d.setupDuration + d.collectDuration + d.duration,
        tests,
      };
    });
    const budget = Number(process.env.MLOPS_TEST_BUDGET_SECONDS) || DEFAULT_BUDGET_SECONDS;
    const topEnv = process.env.MLOPS_TEST_DURATIONS_TOP;
    const top = topEnv === undefined || topEnv === '' ? DEFAULT_TOP : Number(topEnv);
    const { lines, overBudget } = durationLines({
      files,
      wallMs: performance.now() - this.started,
      workers: this.workers,
      budgetSeconds: budget,
      top,
    });
    // stderr for the warning so it stands out in CI logs; the table goes with the rest of the report
    const out = lines.join('\n');
    if (overBudget) process.stderr.write(`\n${out}\n`);
    else process.stdout.write(`\n${out}\n`);
  }
}
