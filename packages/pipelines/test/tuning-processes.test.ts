import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createStore } from '@mlops/core';
import { testPostgresUrl } from '@mlops/core/testing';
import { createStudy, floatParam, intParam } from '@mlops/pipelines';
import { afterAll, describe, expect, it } from 'vitest';

// Cross-process behaviour is tested on PostgreSQL (an embedded PGlite store belongs to one process). Skipped with a
// printed reason without MLOPS_TEST_POSTGRES_URL; an error under MLOPS_TEST_REQUIRE_POSTGRES=1 (CI).
const PG = testPostgresUrl('the two-process tuning test');
const CHILD = join(import.meta.dirname, 'fixtures/tuning-worker.ts');
const ROOT = join(import.meta.dirname, '../../..');

function worker(url: string, study: string, trials: number, name: string) {
  return new Promise<{ ok: boolean; worker: string; numbers: number[]; message?: string }>((resolve, reject) => {
    // cwd = the repository root, so tsx resolves @mlops/* through tsconfig paths to the sources.
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, study, String(trials), name], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('exit', () => {
      const line = out.trim().split('\n').pop();
      try {
        resolve(JSON.parse(line ?? ''));
      } catch {
        reject(new Error(`worker ${name} printed no result: ${out}\n${err}`));
      }
    });
  });
}

describe.skipIf(!PG)('tuning across processes [postgres]', () => {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const url = `${PG}${PG?.includes('?') ? '&' : '?'}schema=${schema}`;
  afterAll(async () => {
    const admin = await createStore(PG!);
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
  });

  it('two worker processes share one study: exactly N trials, no duplicate numbers', async () => {
    const N = 12;
    const [a, b] = await Promise.all([worker(url, 'shared', N, 'worker-a'), worker(url, 'shared', N, 'worker-b')]);
    expect(a.ok, a.message).toBe(true);
    expect(b.ok, b.message).toBe(true);
    const all = [...a.numbers, ...b.numbers].sort((x, y) => x - y);
    expect(all).toEqual(Array.from({ length: N }, (_, i) => i));
    // Both processes did part of the work.
    expect(a.numbers.length).toBeGreaterThan(0);
    expect(b.numbers.length).toBeGreaterThan(0);

    const store = await createStore(url);
    try {
      const study = await createStudy({
        store,
        name: 'shared',
        space: { x: floatParam(-5, 5), n: intParam(1, 4) },
        direction: 'minimize',
        sampler: 'random',
        seed: 11,
      });
      const trials = await study.trials();
      expect(trials).toHaveLength(N);
      expect(trials.every((t) => t.status === 'complete')).toBe(true);
      expect(new Set(trials.map((t) => t.worker))).toEqual(new Set(['worker-a', 'worker-b']));
      for (const t of trials) expect(t.value).toBeCloseTo((t.params.x - 1) ** 2 + t.params.n, 12);
      // Random sampling depends only on (seed, trial number): a one-process study with the same seed draws the same params.
      const local = await createStore('memory://');
      try {
        const again = await createStudy({
          store: local,
          name: 'shared',
          space: { x: floatParam(-5, 5), n: intParam(1, 4) },
          direction: 'minimize',
          sampler: 'random',
          seed: 11,
        });
        const r = await again.optimize(({ params }) => (params.x - 1) ** 2 + params.n, {
          trials: N,
          progress: 'silent',
        });
        expect(r.trials.map((t) => t.params)).toEqual(trials.map((t) => t.params));
        expect((await study.bestTrial())!.number).toBe(r.best!.number);
      } finally {
        await local.close();
      }
    } finally {
      await store.close();
    }
  }, 120_000);
});
