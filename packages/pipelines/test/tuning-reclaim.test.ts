import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore } from '@mlops/core';
import { TEST_POSTGRES_ENV } from '@mlops/core/testing';
import { createStudy, floatParam, intParam } from '@mlops/pipelines';
import { afterAll, describe, expect, it } from 'vitest';

const CHILD = join(import.meta.dirname, 'fixtures/tuning-claimer.ts');
const ROOT = join(import.meta.dirname, '../../..');
const PG = process.env[TEST_POSTGRES_ENV];
const dir = mkdtempSync(join(tmpdir(), 'mlops-reclaim-'));
const schema = `t_${randomBytes(6).toString('hex')}`;

// An embedded store belongs to one process at a time: the second process opens it after the first died (its lock
// is taken over). On PostgreSQL both could run at once; here the second starts after the kill all the same.
const backends = [
  { name: 'pglite', url: `pglite://${join(dir, 'db')}` },
  ...(PG ? [{ name: 'postgres', url: `${PG}${PG.includes('?') ? '&' : '?'}schema=${schema}` }] : []),
];

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  if (PG) {
    const admin = await createStore(PG);
    await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.close();
  }
});

/** Starts the claimer, waits until it holds trial `hang`, kills it with SIGKILL; returns what it printed. */
function claimAndDie(url: string, study: string, trials: number, leaseMs: number, hang: number) {
  return new Promise<{ started: number; params: { x: number; n: number } }>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', CHILD, url, study, String(trials), String(leaseMs), String(hang)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    let started: { started: number; params: { x: number; n: number } } | undefined;
    child.stdout.on('data', (d) => {
      out += d;
      const line = out.split('\n').find((l) => l.startsWith('{"started"'));
      if (line && !started) {
        started = JSON.parse(line);
        child.kill('SIGKILL');
      }
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (started && signal === 'SIGKILL') resolve(started);
      else reject(new Error(`claimer exited (${code ?? signal}) before holding trial ${hang}: ${out}\n${err}`));
    });
  });
}

describe.each(backends)('reclaiming the trials of a dead worker [$name]', ({ url }) => {
  it('a trial claimed by a SIGKILLed process is reclaimed and re-run by another process', async () => {
    const N = 5;
    const hang = 1;
    // The dead worker's lease only has to run out: a short one (no other worker runs until it is killed) spares the
    // rescuer from waiting for it.
    const dead = await claimAndDie(url, 'reclaim', N, 300, hang);
    expect(dead.started).toBe(hang);

    const store = await createStore(url);
    try {
      const study = await createStudy({
        store,
        name: 'reclaim',
        space: { x: floatParam(-5, 5), n: intParam(1, 4) },
        direction: 'minimize',
        sampler: 'random',
        seed: 5,
      });
      const before = await study.trials();
      expect(before.find((t) => t.number === hang)).toMatchObject({ status: 'running', worker: 'doomed', attempt: 1 });

      const r = await study.optimize(({ params }) => (params.x - 1) ** 2 + params.n, {
        trials: N,
        worker: 'rescuer',
        leaseMs: 1500,
        progress: 'silent',
      });
      const trials = await study.trials();
      expect(trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4]);
      expect(trials.every((t) => t.status === 'complete')).toBe(true);
      // The dead worker's trial ran again here, with the same params, as attempt 2.
      const t1 = trials[hang]!;
      expect(t1).toMatchObject({ worker: 'rescuer', attempt: 2 });
      expect(t1.params).toEqual(dead.params);
      expect(t1.value).toBeCloseTo((dead.params.x - 1) ** 2 + dead.params.n, 12);
      expect(r.trials.map((t) => t.number)).toEqual([1, 2, 3, 4]);
      expect(trials[0]).toMatchObject({ worker: 'doomed', attempt: 1 });
      const [lease] = await store.query<{ n: string | number }>(
        `SELECT count(*) AS n FROM pipelines_trials WHERE study = 'reclaim' AND lease_expires_at IS NOT NULL`,
      );
      expect(Number(lease!.n)).toBe(0);
    } finally {
      await store.close();
    }
  }, 120_000);

  it('heartbeats keep a long trial; a trial whose lease was taken over is aborted and its result discarded', async () => {
    const store = await createStore(url);
    try {
      const study = await createStudy({
        store,
        name: 'heartbeat',
        space: { x: floatParam(-5, 5), n: intParam(1, 4) },
        sampler: 'random',
        seed: 2,
      });
      let aborted = 0;
      const r = await study.optimize(
        async ({ number, attempt, params, signal }) => {
          if (number === 0 && attempt === 1) {
            // Another worker takes the trial over (as if this one had stalled past its lease).
            await store.query(`UPDATE pipelines_trials SET worker = 'thief' WHERE study = 'heartbeat' AND number = 0`);
            await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
            aborted++;
            return -1000; // discarded: the trial is no longer ours
          }
          // Four leases long: only the heartbeat keeps it.
          await new Promise((resolve) => setTimeout(resolve, 1200));
          return (params.x - 1) ** 2 + params.n;
        },
        { trials: 3, parallel: 2, leaseMs: 300, worker: 'me', progress: 'silent' },
      );
      expect(aborted).toBe(1);
      const trials = await study.trials();
      expect(trials.every((t) => t.status === 'complete')).toBe(true);
      expect(trials.map((t) => t.attempt)).toEqual([2, 1, 1]); // 0 was reclaimed once 'thief' stopped renewing it
      expect(trials[0]!.worker).toBe('me');
      expect(trials[0]!.value).not.toBe(-1000);
      expect(r.trials.map((t) => [t.number, t.attempt])).toEqual([
        [0, 2],
        [1, 1],
        [2, 1],
      ]);
    } finally {
      await store.close();
    }
  }, 60_000);
});
