import { createStore, isMlopsError, type Store } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migratePipelines } from '../_internal/migrate.js';
import { type InflightTrial, startHeartbeat } from './heartbeat.js';

let store: Store;
beforeAll(async () => {
  store = await createStore('memory://');
  await migratePipelines(store);
});
afterAll(async () => {
  await store.close();
});

/** A study with trials `[number, worker, attempt]`, all running, whose leases expired a second ago. */
async function study(name: string, trials: [number, string, number][]) {
  await store.query(
    `INSERT INTO pipelines_studies (name, direction, sampler, seed, space, pruner, experiment)
     VALUES ($1, 'minimize', '{"type":"random"}', 0, '{}'::jsonb, NULL, 'x')`,
    [name],
  );
  for (const [number, worker, attempt] of trials) {
    await store.query(
      `INSERT INTO pipelines_trials (study, number, status, params, worker, attempt, heartbeat_at, lease_expires_at)
       VALUES ($1, $2, 'running', '{}'::jsonb, $3, $4, now(), now() - interval '1 second')`,
      [name, number, worker, attempt],
    );
  }
}

const entry = (attempt: number, finishing = false): InflightTrial => ({
  attempt,
  controller: new AbortController(),
  finishing,
});

describe('startHeartbeat', () => {
  it("extends the leases of this worker's running trials and leaves other workers' alone", async () => {
    await study('hb-renew', [
      [0, 'me', 1],
      [1, 'other', 1],
    ]);
    const inflight = new Map([[0, entry(1)]]);
    // The timer never fires in this test: beat() is called by hand.
    const hb = startHeartbeat({ store, study: 'hb-renew', worker: 'me', leaseMs: 60_000, inflight, intervalMs: 1e9 });
    try {
      await hb.beat();
    } finally {
      hb.stop();
    }
    const rows = await store.query<{ number: number; live: boolean }>(
      `SELECT number, lease_expires_at > now() + interval '30 seconds' AS live FROM pipelines_trials
       WHERE study = 'hb-renew' ORDER BY number`,
    );
    expect(rows.map((r) => [Number(r.number), r.live])).toEqual([
      [0, true],
      [1, false],
    ]);
    expect(inflight.get(0)!.controller.signal.aborted).toBe(false);
  });

  it('aborts an in-flight trial another worker (or another attempt) holds, unless it is being recorded', async () => {
    await study('hb-lost', [
      [0, 'thief', 2],
      [1, 'me', 3],
      [2, 'thief', 2],
      [3, 'me', 1],
    ]);
    const inflight = new Map([
      [0, entry(1)], // taken over by another worker
      [1, entry(2)], // reclaimed again since this attempt started
      [2, entry(1, true)], // lost, but its outcome is being recorded (the record itself checks ownership)
      [3, entry(1)], // still ours
    ]);
    const hb = startHeartbeat({ store, study: 'hb-lost', worker: 'me', leaseMs: 60_000, inflight, intervalMs: 1e9 });
    try {
      await hb.beat();
    } finally {
      hb.stop();
    }
    const aborted = [...inflight].map(([n, e]) => [n, e.controller.signal.aborted]);
    expect(aborted).toEqual([
      [0, true],
      [1, true],
      [2, false],
      [3, false],
    ]);
    const reason = inflight.get(0)!.controller.signal.reason;
    expect(isMlopsError(reason, 'CONFLICT')).toBe(true);
    expect((reason as Error).message).toContain('trial 0: the lease was lost');
  });

  it('beats on its own timer every intervalMs until stopped', async () => {
    await study('hb-timer', [[0, 'me', 1]]);
    const inflight = new Map([[0, entry(1)]]);
    const hb = startHeartbeat({ store, study: 'hb-timer', worker: 'me', leaseMs: 60_000, inflight, intervalMs: 25 });
    try {
      await expect
        .poll(
          async () =>
            (
              await store.query<{ live: boolean }>(
                `SELECT lease_expires_at > now() AS live FROM pipelines_trials WHERE study = 'hb-timer'`,
              )
            )[0]!.live,
          { timeout: 10_000, interval: 25 },
        )
        .toBe(true);
    } finally {
      hb.stop();
    }
  });
});
