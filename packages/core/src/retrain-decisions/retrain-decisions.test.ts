import { describeStores } from '@mlops/core/testing';
import { describe, expect, it } from 'vitest';
import { isMlopsError } from '../errors.js';
import {
  abandonStaleRetrainDecisions,
  finishRetrainDecision,
  latestRetrainDecision,
  listRetrainDecisions,
  recordRetrainDecision,
} from './retrain-decisions.js';

describeStores('retrain decisions', (getStore) => {
  it('reads nothing (and creates no table) before the first decision', async () => {
    const store = getStore();
    expect(await listRetrainDecisions({ store })).toEqual([]);
    expect(await latestRetrainDecision({ store, model: 'm', alias: 'production' })).toBeUndefined();
    const [t] = await store.query<{ t: string | null }>("SELECT to_regclass('core_retrain_decisions')::text AS t");
    expect(t!.t).toBeNull();
  });

  it('opens a running decision, refuses a second one for the same alias, and records the outcome', async () => {
    const store = getStore();
    const open = await recordRetrainDecision({
      store,
      model: 'sign',
      alias: 'production',
      status: 'running',
      principal: 'ct',
    });
    expect(open).toMatchObject({
      model: 'sign',
      alias: 'production',
      status: 'running',
      finishedAt: null,
      reasons: [],
    });
    expect(open.id).toMatch(/^\d+$/);

    const dup = await recordRetrainDecision({
      store,
      model: 'sign',
      alias: 'production',
      status: 'running',
      principal: 'other',
    }).catch((e: unknown) => e);
    expect(isMlopsError(dup, 'CONFLICT')).toBe(true);
    // Another alias of the same model is independent.
    const canary = await recordRetrainDecision({
      store,
      model: 'sign',
      alias: 'canary',
      status: 'running',
      principal: 'ct',
    });

    const done = await finishRetrainDecision({
      store,
      id: open.id,
      status: 'promoted',
      triggered: true,
      reasons: [{ trigger: 'drift', message: '3 of 4 features drifted' }],
      evaluation: { share: 0.75, nested: { ok: true } },
      incumbentVersion: 1,
      candidateVersion: 2,
      promotionDecisionId: 7,
    });
    expect(done).toMatchObject({
      id: open.id,
      status: 'promoted',
      triggered: true,
      reasons: [{ trigger: 'drift', message: '3 of 4 features drifted' }],
      evaluation: { share: 0.75, nested: { ok: true } },
      incumbentVersion: 1,
      candidateVersion: 2,
      promotionDecisionId: 7,
      error: null,
      principal: 'ct',
    });
    expect(Date.parse(done.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(done.startedAt));

    // Once finished, a new run may start.
    const next = await recordRetrainDecision({
      store,
      model: 'sign',
      alias: 'production',
      status: 'no-action',
      principal: 'ct',
      incumbentVersion: 2,
    });
    expect(next.finishedAt).not.toBeNull();

    expect((await latestRetrainDecision({ store, model: 'sign', alias: 'production' }))!.id).toBe(next.id);
    expect(
      (await latestRetrainDecision({ store, model: 'sign', alias: 'production', status: ['promoted', 'rejected'] }))!
        .id,
    ).toBe(open.id);
    expect((await listRetrainDecisions({ store, model: 'sign' })).map((d) => d.id)).toEqual([
      next.id,
      canary.id,
      open.id,
    ]);
    expect((await listRetrainDecisions({ store, model: 'sign', alias: 'canary' })).map((d) => d.id)).toEqual([
      canary.id,
    ]);
    expect((await listRetrainDecisions({ store, status: 'running' })).map((d) => d.id)).toEqual([canary.id]);
    expect(await listRetrainDecisions({ store, model: 'sign', limit: 1 })).toHaveLength(1);
  });

  it('records a blocked decision (a broken feed) with the performance trigger that it blocked', async () => {
    const store = getStore();
    const d = await recordRetrainDecision({
      store,
      model: 'blocked',
      alias: 'production',
      status: 'blocked',
      principal: 'ct',
      reasons: [{ trigger: 'performance', message: 'accuracy 0.6 below 0.8' }],
      evaluation: { status: 'broken' },
    });
    expect(d).toMatchObject({ status: 'blocked', reasons: [{ trigger: 'performance' }] });
    expect((await listRetrainDecisions({ store, status: 'blocked' })).map((x) => x.id)).toEqual([d.id]);
  });

  it('marks stale running decisions abandoned', async () => {
    const store = getStore();
    const d = await recordRetrainDecision({
      store,
      model: 'stale',
      alias: 'production',
      status: 'running',
      principal: 'ct',
    });
    expect(
      await abandonStaleRetrainDecisions({ store, model: 'stale', alias: 'production', olderThanMs: 3_600_000 }),
    ).toBe(0);
    await store.query(`UPDATE core_retrain_decisions SET started_at = now() - interval '2 hours' WHERE id = $1`, [
      d.id,
    ]);
    expect(
      await abandonStaleRetrainDecisions({ store, model: 'stale', alias: 'production', olderThanMs: 3_600_000 }),
    ).toBe(1);
    const after = await latestRetrainDecision({ store, model: 'stale', alias: 'production' });
    expect(after).toMatchObject({ status: 'abandoned', error: 'abandoned: still running after 3600000 ms' });
  });

  it('validates input and stored rows', async () => {
    const store = getStore();
    const bad = await recordRetrainDecision({
      store,
      model: '',
      alias: 'production',
      status: 'finished' as never,
      principal: 'ct',
      reasons: [{ trigger: 'vibes' as never, message: 'x' }],
    }).catch((e: unknown) => e);
    expect(isMlopsError(bad, 'INVALID_INPUT')).toBe(true);
    const paths = ((bad as { details: { path: string }[] }).details ?? []).map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(['retrain decision.model', 'retrain decision.status']));
    const running = await finishRetrainDecision({ store, id: '1', status: 'running' as never }).catch(
      (e: unknown) => e,
    );
    expect(isMlopsError(running, 'INVALID_INPUT')).toBe(true);
    const missing = await finishRetrainDecision({ store, id: '999999', status: 'failed' }).catch((e: unknown) => e);
    expect(isMlopsError(missing, 'NOT_FOUND')).toBe(true);

    // A row written by hand with a reason core does not know is reported, not passed on.
    await store.query(
      `INSERT INTO core_retrain_decisions (model, alias, status, principal, reasons) VALUES ('odd', 'production', 'failed', 'x', '[{"trigger":"vibes","message":"?"}]')`,
    );
    const odd = await latestRetrainDecision({ store, model: 'odd', alias: 'production' }).catch((e: unknown) => e);
    expect(isMlopsError(odd, 'VALIDATION_FAILED')).toBe(true);
  });
});

describe('retrain decisions module', () => {
  it('exports its API from @mlops/core/retrain-decisions', async () => {
    const core = await import('@mlops/core/retrain-decisions');
    for (const name of [
      'recordRetrainDecision',
      'finishRetrainDecision',
      'listRetrainDecisions',
      'latestRetrainDecision',
    ]) {
      expect(typeof (core as Record<string, unknown>)[name]).toBe('function');
    }
  });
});
