import { createStore, type Store } from '@mlops/core';
import { createTracker } from '@mlops/core/tracking';
import { categorical, createStudy, floatParam, intParam, logUniform } from '@mlops/pipelines';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let store: Store;
beforeAll(async () => {
  store = await createStore('memory://');
});
afterAll(async () => {
  await store.close();
});

const space = {
  x: floatParam(-10, 10),
  lr: logUniform(1e-4, 1),
  depth: intParam(1, 8),
  kind: categorical(['a', 'b', 'c'] as const),
};

// A deterministic objective with its minimum at x = 3, lr = 0.01, depth = 5, kind = 'b'.
const objective = ({ params }: { params: { x: number; lr: number; depth: number; kind: 'a' | 'b' | 'c' } }) =>
  (params.x - 3) ** 2 + (Math.log10(params.lr) + 2) ** 2 + (params.depth - 5) ** 2 / 4 + (params.kind === 'b' ? 0 : 1);

describe('tuning studies', () => {
  for (const sampler of ['random', 'tpe'] as const) {
    it(`is reproducible with a seed (${sampler})`, async () => {
      const run = async (name: string, seed: number) => {
        const study = await createStudy({ store, name, space, sampler, seed, direction: 'minimize' });
        const r = await study.optimize(objective, { trials: 25, progress: 'silent' });
        return r;
      };
      const a = await run(`repro-${sampler}-a`, 42);
      const b = await run(`repro-${sampler}-b`, 42);
      const c = await run(`repro-${sampler}-c`, 43);
      expect(a.trials.map((t) => t.params)).toEqual(b.trials.map((t) => t.params));
      expect(a.trials.map((t) => t.value)).toEqual(b.trials.map((t) => t.value));
      expect(a.best).toEqual({ ...b.best, runId: a.best!.runId, worker: a.best!.worker });
      expect(c.trials.map((t) => t.params)).not.toEqual(a.trials.map((t) => t.params));
      // Params stay inside the space and have the declared types.
      for (const t of a.trials) {
        expect(t.params.x).toBeGreaterThanOrEqual(-10);
        expect(t.params.x).toBeLessThanOrEqual(10);
        expect(t.params.lr).toBeGreaterThanOrEqual(1e-4);
        expect(t.params.lr).toBeLessThanOrEqual(1);
        expect(Number.isInteger(t.params.depth)).toBe(true);
        expect(['a', 'b', 'c']).toContain(t.params.kind);
      }
      // The best trial is the minimum of the complete trials.
      expect(a.best!.value).toBe(Math.min(...a.trials.map((t) => t.value!)));
    });
  }

  it('TPE concentrates its samples near the optimum after the random start-up trials', async () => {
    const study = await createStudy({
      store,
      name: 'tpe-focus',
      space: { x: floatParam(-10, 10) },
      sampler: { type: 'tpe', startupTrials: 10 },
      seed: 5,
    });
    const { trials } = await study.optimize(({ params }) => (params.x - 3) ** 2, { trials: 40, progress: 'silent' });
    // Uniform sampling puts 20 % of the draws within ±2 of the optimum; TPE, once modelling, far more.
    const near = (ts: typeof trials) => ts.filter((t) => Math.abs(t.params.x - 3) <= 2).length / ts.length;
    expect(near(trials.slice(20))).toBeGreaterThan(0.4);
    expect(near(trials.slice(20))).toBeGreaterThan(near(trials.slice(0, 10)));
  });

  it('records each trial as a child run of the study run, with its params and value', async () => {
    const study = await createStudy({ store, name: 'tracked', space: { x: floatParam(0, 1) }, sampler: 'random' });
    const r = await study.optimize(({ params }) => params.x * 2, { trials: 4, progress: 'silent' });
    const tracker = createTracker({ store });
    const children = await tracker.searchRuns({ filter: { parentRunId: r.runId } });
    expect(children).toHaveLength(4);
    for (const t of r.trials) {
      const run = children.find((c) => c.id === t.runId)!;
      expect(run.params.x).toBe(t.params.x);
      expect(run.metrics.value!.value).toBeCloseTo(t.value!, 12);
      expect(run.tags['mlops.trial']).toBe(String(t.number));
    }
    const parent = await tracker.getRun(r.runId);
    expect(parent.metrics.best_value!.value).toBe(r.best!.value);
  });

  it('runs trials concurrently with unique numbers and stops at the budget', async () => {
    const study = await createStudy({
      store,
      name: 'parallel',
      space: { x: floatParam(0, 1) },
      sampler: 'random',
      seed: 1,
    });
    let running = 0;
    let peak = 0;
    let allThree: () => void = () => {};
    const barrier = new Promise<void>((res) => {
      allThree = res;
    });
    const r = await study.optimize(
      async ({ params, number }) => {
        running++;
        peak = Math.max(peak, running);
        if (running === 3) allThree();
        // The first three trials wait for each other: this only finishes if three objectives run at once.
        if (number < 3) await Promise.race([barrier, new Promise((res) => setTimeout(res, 10_000))]);
        running--;
        return params.x;
      },
      { trials: 9, parallel: 3, progress: 'silent' },
    );
    expect(r.trials.map((t) => t.number)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(peak).toBe(3);
    // A second call adds nothing: the budget is the study's, not the call's.
    const again = await study.optimize(() => 0, { trials: 9, progress: 'silent' });
    expect(again.trials).toEqual([]);
    expect(await study.trials()).toHaveLength(9);
  });

  it('prunes hopeless trials with the median pruner', async () => {
    const study = await createStudy({
      store,
      name: 'pruning',
      space: { quality: floatParam(0, 1) },
      sampler: 'random',
      seed: 3,
      direction: 'minimize',
      pruner: { type: 'median', startupTrials: 3, warmupSteps: 1 },
    });
    const stepsRun: Record<number, number> = {};
    const r = await study.optimize(
      async (trial) => {
        let loss = 0;
        for (let epoch = 0; epoch < 5; epoch++) {
          loss = 1 - trial.params.quality + 1 / (epoch + 1);
          stepsRun[trial.number] = epoch + 1;
          await trial.report(loss, epoch);
          if (await trial.shouldPrune()) trial.prune();
        }
        return loss;
      },
      { trials: 16, progress: 'silent' },
    );
    const pruned = r.trials.filter((t) => t.status === 'pruned');
    const complete = r.trials.filter((t) => t.status === 'complete');
    expect(pruned.length).toBeGreaterThan(0);
    expect(complete.length).toBeGreaterThanOrEqual(3);
    // The first trials are never pruned, pruned trials stopped early, and each was worse than the median of the
    // trials completed before it at the step it stopped.
    expect(r.trials.slice(0, 3).every((t) => t.status === 'complete')).toBe(true);
    for (const t of pruned) {
      expect(stepsRun[t.number]).toBeLessThan(5);
      expect(stepsRun[t.number]).toBeGreaterThanOrEqual(2);
      const earlier = complete.filter((c) => c.number < t.number).map((c) => c.params.quality);
      const sorted = [...earlier].sort((a, b) => a - b);
      const median = (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
      expect(t.params.quality).toBeLessThan(median);
    }
    expect(r.best!.status).toBe('complete');
    const tracker = createTracker({ store });
    const prunedRun = await tracker.getRun(pruned[0]!.runId!);
    expect(prunedRun.tags['mlops.trial.state']).toBe('pruned');
  });

  it('records a failing objective and stops, or goes on with catchErrors', async () => {
    const study = await createStudy({ store, name: 'failing', space: { x: floatParam(0, 1) }, sampler: 'random' });
    await expect(
      study.optimize(
        ({ number }) => {
          if (number === 1) throw new Error('diverged');
          return 1;
        },
        { trials: 4, progress: 'silent' },
      ),
    ).rejects.toThrow('diverged');
    const after = await study.trials();
    expect(after.map((t) => t.status)).toEqual(['complete', 'failed']);
    expect(after[1]!.error).toBe('diverged');
    const rest = await study.optimize(
      ({ number }) => {
        if (number === 2) throw new Error('again');
        return 0.5;
      },
      { trials: 4, catchErrors: true, progress: 'silent' },
    );
    expect(rest.trials.map((t) => [t.number, t.status])).toEqual([
      [2, 'failed'],
      [3, 'complete'],
    ]);
  });

  it('refuses a bad space and a conflicting redefinition', async () => {
    await expect(createStudy({ store, name: 'bad', space: { lr: logUniform(0, 1) } })).rejects.toThrow(
      /space.lr.low: log scale needs low > 0/,
    );
    await createStudy({ store, name: 'fixed', space: { x: floatParam(0, 1) }, seed: 1 });
    await expect(createStudy({ store, name: 'fixed', space: { x: floatParam(0, 2) }, seed: 1 })).rejects.toMatchObject({
      code: 'CONFLICT',
    });
  });
});
