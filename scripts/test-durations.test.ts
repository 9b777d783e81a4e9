// The test-time report printed after `npm test` (scripts/test-durations.mjs): slowest files, time per package, the
// total against the budget, and a warning over it.
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- plain .mjs reporter loaded by vitest.config.ts
import { durationLines, packageOf } from './test-durations.mjs';

const files = [
  { file: 'packages/core/test/a.test.ts', ms: 2_000, tests: 3 },
  { file: 'packages/core/test/b.test.ts', ms: 12_000, tests: 1 },
  { file: 'packages/plugins/s3/test/c.test.ts', ms: 5_000, tests: 2 },
  { file: 'scripts/d.test.ts', ms: 500, tests: 4 },
];

describe('test durations report', () => {
  it('names the package of a test file', () => {
    expect(packageOf('packages/core/src/x.test.ts')).toBe('packages/core');
    expect(packageOf('packages/plugins/s3/test/c.test.ts')).toBe('packages/plugins/s3');
    expect(packageOf('examples/secom/test/secom.test.ts')).toBe('examples/secom');
    expect(packageOf('scripts/deploy.test.ts')).toBe('scripts');
  });

  it('lists the slowest files first, the time per package, and the total against the budget', () => {
    const { lines, overBudget } = durationLines({ files, wallMs: 120_000, workers: 3, budgetSeconds: 300, top: 2 });
    expect(overBudget).toBe(false);
    expect(lines).toEqual([
      'Slowest test files (of 4):',
      '    12.0 s  packages/core/test/b.test.ts (1 tests)',
      '     5.0 s  packages/plugins/s3/test/c.test.ts (2 tests)',
      'Time per package (sum of its files):',
      '    14.0 s  packages/core (2 files)',
      '     5.0 s  packages/plugins/s3 (1 files)',
      'Test time: 120.0 s for 10 tests in 4 files (19.5 s of file time, 3 at once); budget 300 s (40%).',
    ]);
  });

  it('warns when the run took longer than the budget, and prints only totals with top 0', () => {
    const { lines, overBudget } = durationLines({ files, wallMs: 301_000, workers: 2, budgetSeconds: 300, top: 0 });
    expect(overBudget).toBe(true);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Test time: 301\.0 s for 10 tests in 4 files .* budget 300 s \(100%\)\.$/);
    expect(lines[1]).toMatch(/^WARNING: the tests took 301\.0 s, over the 300 s budget: .*Load average at the end: /);
  });
});
