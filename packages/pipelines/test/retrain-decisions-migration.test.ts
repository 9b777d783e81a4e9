import { isMlopsError } from '@mlops/core';
import { latestRetrainDecision, listRetrainDecisions, recordRetrainDecision } from '@mlops/core/retrain-decisions';
import { describeStores } from '@mlops/core/testing';
import { createContinuousTrainingPolicy } from '@mlops/pipelines';
import { createRegistry } from '@mlops/registry';
import { expect, it } from 'vitest';
import { PIPELINES_MIGRATIONS, PIPELINES_NAMESPACE } from '../src/migrations/index.js';

describeStores('retrain decisions move from pipelines_retrain_decisions to core', (getStore) => {
  it('copies the old rows with their ids, drops the old table, and keeps one running decision per alias', async () => {
    const store = getStore();
    // A database written by an older @mlops/pipelines: only migration 1, decisions in the pipelines table.
    await store.migrate(PIPELINES_NAMESPACE, PIPELINES_MIGRATIONS.slice(0, 1));
    await store.exec(`
      INSERT INTO pipelines_retrain_decisions (id, model, alias, status, triggered, reasons, evaluation, incumbent_version,
        candidate_version, promotion_decision_id, error, principal, started_at, finished_at)
      VALUES
        (3, 'sign', 'production', 'promoted', true, '[{"trigger":"drift","message":"2 of 3 drifted"}]', '{"version":1}',
         1, 2, 5, NULL, 'ct', '2026-01-01T00:00:00Z', '2026-01-01T00:05:00Z'),
        (7, 'sign', 'production', 'rejected', true, '[{"trigger":"accuracy","message":"0.61 below 0.7"}]', NULL,
         2, 3, 6, 'gate failed', 'ct', '2026-01-02T00:00:00Z', '2026-01-02T00:05:00Z'),
        (9, 'tickets', 'production', 'running', false, '[]', NULL, NULL, NULL, NULL, NULL, 'cron', now(), NULL);
    `);

    // Any pipelines call applies the pending migrations (core's table first, then the move): here a policy's decisions.
    const policy = createContinuousTrainingPolicy({
      store,
      registry: await createRegistry({ store }),
      model: 'sign',
      triggers: {},
      retrain: async () => {
        throw new Error('not called');
      },
    });
    expect((await policy.decisions()).map((d) => d.id)).toEqual(['7', '3']);
    const all = await listRetrainDecisions({ store });
    expect(all.map((d) => [d.id, d.model, d.status])).toEqual([
      ['9', 'tickets', 'running'],
      ['7', 'sign', 'rejected'],
      ['3', 'sign', 'promoted'],
    ]);
    expect(all[2]).toMatchObject({
      triggered: true,
      reasons: [{ trigger: 'drift', message: '2 of 3 drifted' }],
      evaluation: { version: 1 },
      incumbentVersion: 1,
      candidateVersion: 2,
      promotionDecisionId: 5,
      principal: 'ct',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:05:00.000Z',
    });
    expect(all[1]!.error).toBe('gate failed');
    const [old] = await store.query<{ t: string | null }>(
      "SELECT to_regclass('pipelines_retrain_decisions')::text AS t",
    );
    expect(old!.t).toBeNull();

    // Core's reader sees them; the copied running row still blocks a second run; new ids continue after the old ones.
    expect((await latestRetrainDecision({ store, model: 'sign', alias: 'production' }))!.id).toBe('7');
    const dup = await recordRetrainDecision({
      store,
      model: 'tickets',
      alias: 'production',
      status: 'running',
      principal: 'x',
    }).catch((e: unknown) => e);
    expect(isMlopsError(dup, 'CONFLICT')).toBe(true);
    const next = await recordRetrainDecision({
      store,
      model: 'sign',
      alias: 'production',
      status: 'no-action',
      principal: 'x',
    });
    // (> 9: the refused insert above may have used up 10, sequences are not transactional)
    expect(Number(next.id)).toBeGreaterThan(9);

    const [m] = await store.query<{ v: number }>(`SELECT max(version) AS v FROM core_migrations WHERE namespace = $1`, [
      PIPELINES_NAMESPACE,
    ]);
    expect(Number(m!.v)).toBe(PIPELINES_MIGRATIONS.length);
  });
});
