import { join } from 'node:path';
import { createStore, isMlopsError, type Store } from '@mlops/core';
import { createTracker } from '@mlops/core/tracking';
import { createStudy, floatParam, intParam, type OptimizeOptions } from '@mlops/pipelines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const OBJECTIVE = join(import.meta.dirname, 'fixtures/tuning-objective.mjs');
const space = { x: floatParam(-5, 5), n: intParam(1, 4) };

let store: Store;
beforeAll(async () => {
  store = await createStore('memory://');
});
afterAll(async () => {
  await store.close();
});

const study = (name: string, extra: Record<string, unknown> = {}) =>
  createStudy({
    store,
    name,
    space,
    direction: 'minimize',
    sampler: { type: 'tpe', startupTrials: 4, batch: 4 },
    seed: 3,
    ...extra,
  });

const opts = (o: Partial<OptimizeOptions>): OptimizeOptions => ({ trials: 12, progress: 'silent', ...o });

describe('tuning in worker threads', () => {
  it('2 threads sample the same params and find the same best as 1 thread and as a function objective', async () => {
    const one = await (await study('threads-1')).optimize({ module: OBJECTIVE }, opts({ threads: 1 }));
    const twoStudy = await study('threads-2');
    const two = await twoStudy.optimize({ module: OBJECTIVE, export: 'objective' }, opts({ threads: 2 }));
    const inline = await (await study('threads-0')).optimize(
      ({ params }) => (params.x - 1) ** 2 + params.n,
      opts({ parallel: 1 }),
    );

    // Every trial recorded, complete, with its run.
    const stored = await twoStudy.trials();
    expect(stored.map((t) => t.number)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(stored.every((t) => t.status === 'complete' && t.runId !== null && t.attempt === 1)).toBe(true);
    for (const t of stored) expect(t.value).toBeCloseTo((t.params.x - 1) ** 2 + t.params.n, 12);

    // Same seed → same params per trial number, whatever the thread count (TPE with a batch: sampling is in the
    // coordinator and modelled on whole batches only).
    const byNumber = (r: typeof one) => r.trials.map((t) => [t.number, t.params]);
    expect(byNumber(two)).toEqual(byNumber(one));
    expect(byNumber(inline)).toEqual(byNumber(one));
    expect(two.best!.params).toEqual(one.best!.params);
    expect(two.best!.number).toBe(one.best!.number);

    // Both threads ran trials (the objective tags its run with its threadId).
    const tracker = createTracker({ store, captureGit: false });
    const threads = new Set<string>();
    for (const t of stored) threads.add((await tracker.getRun(t.runId!)).tags.thread!);
    expect(threads.size).toBe(2);
    expect(threads.has('0')).toBe(false); // not the main thread
  });

  it('a throwing objective in a thread fails that trial with its error, not the study', async () => {
    const s = await study('threads-throw', { sampler: 'random' });
    const r = await s.optimize({ module: OBJECTIVE, workerData: { failTrial: 2 } }, opts({ threads: 2, trials: 6 }));
    const trials = await s.trials();
    expect(trials).toHaveLength(6);
    const failed = trials.filter((t) => t.status === 'failed');
    expect(failed.map((t) => t.number)).toEqual([2]);
    expect(failed[0]!.error).toBe('boom on trial 2');
    expect(trials.filter((t) => t.status === 'complete')).toHaveLength(5);
    expect(r.best!.status).toBe('complete');
    const tracker = createTracker({ store, captureGit: false });
    expect((await tracker.getRun(failed[0]!.runId!)).status).toBe('failed');
  });

  it('with catchErrors: false the error stops the call after the trial is recorded failed', async () => {
    const s = await study('threads-throw-stop', { sampler: 'random' });
    const err = await s
      .optimize(
        { module: OBJECTIVE, workerData: { failTrial: 0 } },
        opts({ threads: 1, trials: 4, catchErrors: false }),
      )
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect((err as Error).message).toBe('boom on trial 0');
    expect((err as Error).name).toBe('TypeError');
    const [t0] = await s.trials();
    expect(t0).toMatchObject({ number: 0, status: 'failed', error: 'boom on trial 0' });
  });

  it('a thread that exits or crashes mid-trial fails that trial and is replaced', async () => {
    const s = await study('threads-exit', { sampler: 'random' });
    await s.optimize(
      { module: OBJECTIVE, workerData: { exitTrial: 1, crashTrial: 3 } },
      opts({ threads: 2, trials: 8 }),
    );
    const trials = await s.trials();
    expect(trials).toHaveLength(8);
    expect(trials[1]).toMatchObject({ status: 'failed' });
    expect(trials[1]!.error).toMatch(/worker thread running trial 1 died: exited with code 3/);
    expect(trials[3]).toMatchObject({ status: 'failed' });
    expect(trials[3]!.error).toMatch(/worker thread running trial 3 died: crash in trial 3/);
    expect(trials.filter((t) => t.status === 'complete')).toHaveLength(6);
  });

  it('report, shouldPrune and prune cross the thread boundary', async () => {
    const s = await study('threads-prune', {
      sampler: 'random',
      pruner: { type: 'median', startupTrials: 2, warmupSteps: 0 },
    });
    await s.optimize({ module: OBJECTIVE, workerData: { report: true } }, opts({ threads: 1, trials: 10 }));
    const trials = await s.trials();
    const pruned = trials.filter((t) => t.status === 'pruned');
    expect(pruned.length).toBeGreaterThan(0);
    // A pruned trial keeps its last reported value, which came from the thread through `report`.
    for (const t of pruned) expect(t.value).not.toBeNull();
    const values = await store.query<{ n: string | number }>(
      `SELECT count(*) AS n FROM pipelines_trial_values WHERE study = 'threads-prune'`,
    );
    expect(Number(values[0]!.n)).toBeGreaterThan(10);
  });

  it('refuses a module without the export, and threads with a function objective, before claiming a trial', async () => {
    const s = await study('threads-bad');
    const e1 = await s
      .optimize({ module: OBJECTIVE, export: 'notAFunction' }, opts({ threads: 2 }))
      .catch((e: unknown) => e);
    expect(isMlopsError(e1, 'INVALID_INPUT')).toBe(true);
    expect((e1 as Error).message).toMatch(/does not export a function "notAFunction"/);
    const e2 = await s
      .optimize({ module: join(import.meta.dirname, 'fixtures/missing.mjs') }, opts({}))
      .catch((e) => e);
    expect(isMlopsError(e2, 'INVALID_INPUT')).toBe(true);
    const e3 = await s.optimize(() => 1, opts({ threads: 2 })).catch((e: unknown) => e);
    expect(isMlopsError(e3, 'INVALID_INPUT')).toBe(true);
    expect(await s.trials()).toEqual([]);
  });
});
