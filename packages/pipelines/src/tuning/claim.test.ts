import { createStore, type Store } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePipelines } from '../_internal/migrate.js';
import { type Claim, type ClaimSettings, claimLoop, claimTrial, createWakeup } from './claim.js';
import { randomSample } from './samplers.js';
import { checkSpace, floatParam } from './space.js';

let store: Store;
beforeAll(async () => {
  store = await createStore('memory://');
  await migratePipelines(store);
});
afterAll(async () => {
  await store.close();
});

async function settings(name: string): Promise<ClaimSettings> {
  await store.query(
    `INSERT INTO pipelines_studies (name, direction, sampler, seed, space, pruner, experiment)
     VALUES ($1, 'minimize', '{"type":"random"}', 0, '{}'::jsonb, NULL, 'x')`,
    [name],
  );
  return {
    store,
    study: name,
    space: checkSpace({ x: floatParam(0, 1) }),
    direction: 'minimize',
    seed: 3,
    sample: randomSample,
  };
}

const request = (worker: string, mine: number[] = []) => ({ budget: 2, worker, leaseMs: 60_000, mine });

describe('claimTrial', () => {
  it('claims numbers in order up to the budget, then waits while one runs, then says the study is done', async () => {
    const s = await settings('claim-budget');
    const a = await claimTrial(s, request('w1'));
    const b = await claimTrial(s, request('w2'));
    expect([a, b].map((c) => (c as Claim).number)).toEqual([0, 1]);
    expect((a as Claim).attempt).toBe(1);
    expect((a as Claim).params.x).toBeGreaterThanOrEqual(0);
    expect(await claimTrial(s, request('w1'))).toBe('wait');
    await store.query(
      `UPDATE pipelines_trials SET status = 'complete', value = 1, lease_expires_at = NULL WHERE study = 'claim-budget'`,
    );
    expect(await claimTrial(s, request('w1'))).toBeUndefined();
  });

  it('samples the same params for the same seed and number', async () => {
    const a = await claimTrial(await settings('claim-seed-a'), request('w'));
    const b = await claimTrial(await settings('claim-seed-b'), request('w'));
    expect((a as Claim).params).toEqual((b as Claim).params);
  });

  it("takes over a trial whose lease expired (its params, the next attempt, its reported values dropped), never one of the claimer's own", async () => {
    const s = await settings('claim-reclaim');
    const first = (await claimTrial(s, request('dead'))) as Claim;
    await store.query(
      `INSERT INTO pipelines_trial_values (study, number, step, value) VALUES ('claim-reclaim', 0, 0, 5)`,
    );
    await store.query(
      `UPDATE pipelines_trials SET lease_expires_at = now() - interval '1 second' WHERE study = 'claim-reclaim'`,
    );
    // The expired trial is in the claimer's own list (it is still running it here): a new number instead.
    const fresh = (await claimTrial(s, request('dead', [0]))) as Claim;
    expect(fresh).toMatchObject({ number: 1, attempt: 1 });
    const taken = (await claimTrial(s, request('rescuer'))) as Claim;
    expect(taken).toEqual({ number: 0, params: first.params, attempt: 2, reclaimedFrom: 'dead' });
    const [row] = await store.query<{ worker: string; attempt: number; live: boolean }>(
      `SELECT worker, attempt, lease_expires_at > now() AS live FROM pipelines_trials WHERE study = 'claim-reclaim' AND number = 0`,
    );
    expect(row).toMatchObject({ worker: 'rescuer', live: true });
    expect(Number(row!.attempt)).toBe(2);
    const values = await store.query(`SELECT * FROM pipelines_trial_values WHERE study = 'claim-reclaim'`);
    expect(values).toHaveLength(0);
  });
});

describe('claimLoop', () => {
  it('runs claims until the study is done; told to wait, it wakes on a local finish without polling', async () => {
    const wakeup = createWakeup();
    const answers: ('wait' | number | undefined)[] = [0, 'wait', 1, undefined];
    const ran: number[] = [];
    await claimLoop<number>({
      async claim() {
        const next = answers.shift();
        // A trial of this process finishes while the loop waits; the poll interval alone would never end the test.
        if (next === 'wait') setTimeout(() => wakeup.notify(), 0);
        return next;
      },
      async run(n) {
        ran.push(n);
      },
      stopped: () => false,
      fail: (err) => {
        throw err;
      },
      wakeup,
      pollMs: 1e9,
    });
    expect(ran).toEqual([0, 1]);
    expect(answers).toEqual([]);
  });

  it('polls again after pollMs when nothing wakes it', async () => {
    const answers: ('wait' | undefined)[] = ['wait', 'wait', undefined];
    await claimLoop<number>({
      claim: async () => answers.shift(),
      run: async () => {},
      stopped: () => false,
      fail: () => {},
      wakeup: createWakeup(),
      pollMs: 5,
    });
    expect(answers).toEqual([]);
  });

  it('stops after a trial that rejects, and hands over the error', async () => {
    let stop: unknown;
    let claims = 0;
    await claimLoop<number>({
      claim: async () => ++claims,
      run: async (n) => {
        if (n === 2) throw new Error('boom');
      },
      stopped: () => stop !== undefined,
      fail: (err) => {
        stop = err;
      },
      wakeup: createWakeup(),
      pollMs: 5,
    });
    expect(claims).toBe(2);
    expect((stop as Error).message).toBe('boom');
  });
});
