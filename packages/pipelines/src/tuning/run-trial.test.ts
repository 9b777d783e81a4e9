import { createStore, type Store } from '@mlops/core';
import { createTracker, type Tracker } from '@mlops/core/tracking';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePipelines } from '../_internal/migrate.js';
import type { Claim } from './claim.js';
import type { InflightTrial } from './heartbeat.js';
import { type Objective, runTrial, type TrialRunner } from './run-trial.js';
import type { TrialRecord } from './types.js';

let store: Store;
let tracker: Tracker;
let studyRunId: string;
beforeAll(async () => {
  store = await createStore('memory://');
  await migratePipelines(store);
  tracker = createTracker({ store, captureGit: false });
  const run = await tracker.startRun({ experiment: 'run-trial', name: 'study' });
  studyRunId = run.id;
});
afterAll(async () => {
  await store.close();
});

type P = { x: number };

/** A study whose trial 0 is claimed by `me`, and a runner of it that keeps what it was told. */
async function setup(study: string, objective: Objective<P>, catchErrors = false) {
  await store.query(
    `INSERT INTO pipelines_studies (name, direction, sampler, seed, space, pruner, experiment)
     VALUES ($1, 'minimize', '{"type":"random"}', 0, '{}'::jsonb, NULL, 'x')`,
    [study],
  );
  await store.query(
    `INSERT INTO pipelines_trials (study, number, status, params, worker, attempt, heartbeat_at, lease_expires_at)
     VALUES ($1, 0, 'running', '{"x": 2}'::jsonb, 'me', 1, now(), now() + interval '1 minute')`,
    [study],
  );
  const recorded: TrialRecord<P>[] = [];
  let settled = 0;
  const inflight = new Map<number, InflightTrial>();
  const runner: TrialRunner<P> = {
    store,
    study,
    worker: 'me',
    studyRunId,
    tracker,
    objective,
    catchErrors,
    inflight,
    shouldPrune: async (_n, values) => values.size >= 2,
    recorded: (r) => recorded.push(r),
    settled: () => {
      settled++;
    },
  };
  const claim: Claim = { number: 0, params: { x: 2 }, attempt: 1 };
  const row = async () =>
    (
      await store.query<{ status: string; value: number | null; error: string | null; run_id: string | null }>(
        'SELECT status, value, error, run_id FROM pipelines_trials WHERE study = $1 AND number = 0',
        [study],
      )
    )[0]!;
  return { runner, claim, recorded, inflight, settledCount: () => settled, row };
}

describe('runTrial', () => {
  it('records a complete trial with its value and run, and leaves nothing in flight', async () => {
    let seen: InflightTrial | undefined;
    const t = await setup('rt-complete', ({ params, number }) => {
      seen = t.inflight.get(number);
      return params.x ** 2;
    });
    await runTrial(t.runner, t.claim);
    expect(seen?.attempt).toBe(1);
    const row = await t.row();
    expect(row).toMatchObject({ status: 'complete', error: null });
    expect(Number(row.value)).toBe(4);
    expect(t.recorded).toEqual([
      {
        number: 0,
        status: 'complete',
        params: { x: 2 },
        value: 4,
        runId: row.run_id,
        worker: 'me',
        error: null,
        attempt: 1,
      },
    ]);
    const run = await tracker.getRun(row.run_id!);
    expect(run.parentRunId).toBe(studyRunId);
    expect(run.tags['mlops.trial.state']).toBe('complete');
    expect(t.inflight.size).toBe(0);
    expect(t.settledCount()).toBe(1);
  });

  it('stores a pruned trial with its last reported value', async () => {
    const t = await setup('rt-pruned', async (trial) => {
      await trial.report(5, 0);
      await trial.report(3, 1);
      if (await trial.shouldPrune()) trial.prune();
      return 0;
    });
    await runTrial(t.runner, t.claim);
    const row = await t.row();
    expect(row.status).toBe('pruned');
    expect(Number(row.value)).toBe(3);
    const values = await store.query(`SELECT step FROM pipelines_trial_values WHERE study = 'rt-pruned'`);
    expect(values).toHaveLength(2);
  });

  it('records a failing objective, then rethrows it unless catchErrors', async () => {
    const fail = () => {
      throw new Error('diverged');
    };
    const a = await setup('rt-fail', fail);
    await expect(runTrial(a.runner, a.claim)).rejects.toThrow('diverged');
    expect(await a.row()).toMatchObject({ status: 'failed', error: 'diverged' });
    const b = await setup('rt-fail-caught', fail, true);
    await runTrial(b.runner, b.claim);
    expect(await b.row()).toMatchObject({ status: 'failed', error: 'diverged' });
    expect(b.recorded.map((r) => r.status)).toEqual(['failed']);
  });

  it('records nothing for a trial another worker took over while it ran, and marks its run lost', async () => {
    const t = await setup('rt-lost', async () => {
      await store.query(`UPDATE pipelines_trials SET worker = 'thief' WHERE study = 'rt-lost'`);
      throw new Error('would fail the study if it were still ours');
    });
    await runTrial(t.runner, t.claim); // no rethrow: the outcome is not this worker's to report
    expect(t.recorded).toEqual([]);
    const row = await t.row();
    expect(row.status).toBe('running');
    const run = await tracker.getRun(row.run_id!);
    expect(run.tags['mlops.trial.state']).toBe('lost');
    expect(run.status).toBe('killed');
    expect(t.settledCount()).toBe(1);
  });
});
