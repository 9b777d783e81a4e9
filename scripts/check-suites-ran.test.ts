// The CI check on vitest's JSON report: a PostgreSQL ([postgres]) or real-data ([real-data]) test that was skipped,
// or none at all, fails the run.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPTS = dirname(fileURLToPath(import.meta.url));
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'check-suites-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type Status = 'passed' | 'failed' | 'skipped' | 'pending' | 'todo';
const t = (fullName: string, status: Status) => ({ fullName, title: fullName, status });

async function check(script: string, tests: ReturnType<typeof t>[], args: string[] = []) {
  const file = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify({ testResults: [{ name: 'x.test.ts', assertionResults: tests }] }));
  return run(process.execPath, [join(SCRIPTS, script), file, ...args]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe('check-postgres-ran.mjs (what CI runs after npm test)', () => {
  it('passes when every [postgres] test passed', async () => {
    const r = await check('check-postgres-ran.mjs', [
      t('store [postgres] > a', 'passed'),
      t('store [pglite] > a', 'skipped'),
    ]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\[postgres\] tests: 1 passed, 0 not passed/);
  });

  it.each<Status>(['skipped', 'pending', 'todo', 'failed'])('fails when one [postgres] test is %s', async (status) => {
    const r = await check('check-postgres-ran.mjs', [
      t('store [postgres] > a', 'passed'),
      t('registry across processes [postgres] > b', status),
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('registry across processes [postgres] > b');
  });

  it('fails when no [postgres] test ran at all', async () => {
    const r = await check('check-postgres-ran.mjs', [t('store [pglite] > a', 'passed')]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/No \[postgres\] test ran/);
  });
});

describe('check-suites-ran.mjs', () => {
  it('checks each tag it is given: [real-data] skipped fails, all passed passes', async () => {
    const ok = [t('a [postgres] > x', 'passed'), t('topic model [real-data] > y', 'passed')];
    expect((await check('check-suites-ran.mjs', ok, ['[postgres]', '[real-data]'])).code).toBe(0);
    const skipped = [t('a [postgres] > x', 'passed'), t('topic model [real-data] > y', 'skipped')];
    const r = await check('check-suites-ran.mjs', skipped, ['[postgres]', '[real-data]']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/\[real-data\] tests: 0 passed, 1 not passed/);
    expect(r.out).toContain('topic model [real-data] > y (skipped)');
    // Without the tag, the same report only counts PostgreSQL tests.
    expect((await check('check-suites-ran.mjs', skipped, ['[postgres]'])).code).toBe(0);
  });
});
