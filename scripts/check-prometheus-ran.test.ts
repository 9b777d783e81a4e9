// The CI check for the Prometheus/Alertmanager tests: a [prometheus] test that was skipped (the binaries missing), or
// none at all, fails the run.
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const SCRIPT = join(dirname(fileURLToPath(import.meta.url)), 'check-prometheus-ran.mjs');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'check-prometheus-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const t = (fullName: string, status: string) => ({ fullName, title: fullName, status });
async function check(tests: ReturnType<typeof t>[]) {
  const file = join(dir, `report-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(file, JSON.stringify({ testResults: [{ name: 'x.test.ts', assertionResults: tests }] }));
  return run(process.execPath, [SCRIPT, file]).then(
    (r) => ({ code: 0, out: r.stdout + r.stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
  );
}

describe('check-prometheus-ran.mjs', () => {
  it('passes when every [prometheus] test passed, fails when one was skipped or none ran', async () => {
    const ok = await check([t('alert loop [prometheus] > a', 'passed'), t('npm run stack [prometheus] > b', 'passed')]);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatch(/\[prometheus\] tests: 2 passed, 0 not passed/);
    const skipped = await check([t('alert loop [prometheus] > a', 'skipped')]);
    expect(skipped.code).toBe(1);
    expect(skipped.out).toContain('alert loop [prometheus] > a (skipped)');
    const none = await check([t('store [postgres] > a', 'passed')]);
    expect(none.code).toBe(1);
    expect(none.out).toMatch(/No \[prometheus\] test ran: are prometheus, promtool/);
  });
});
