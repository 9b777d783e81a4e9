// POST /v1/alerts/alertmanager mounted in @mlops/serve: Alertmanager's webhook payload (version 4) with a bearer key,
// what each alert does (started, duplicate, running, ignored, resolved), and that a broken feed never retrains.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type FsObjectStore, fsObjectStore, type Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { listRetrainDecisions } from '@mlops/core/retrain-decisions';
import { testPostgresUrl } from '@mlops/core/testing';
import { createProfile } from '@mlops/drift';
import {
  type AlertmanagerResponse,
  alertmanagerPayloadSchema,
  createAlertmanagerRoute,
  createContinuousTrainingPolicy,
  createRetrainRunner,
  type RetrainRunner,
} from '@mlops/pipelines';
import { linearFlavor } from '@mlops/plugin-linear';
import { createRegistry, type Registry } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeData, saveLinearModel, usePolicyFixture } from './helpers.js';

let store: Store;
let objects: FsObjectStore;
let registry: Registry;
usePolicyFixture('mlops-am-', (fx) => {
  ({ store, objects, registry } = fx);
});

const MODEL = 'am-model';

function alert(
  alertname: string,
  o: { status?: 'firing' | 'resolved'; fingerprint?: string; startsAt?: string; model?: string | null } = {},
) {
  return {
    status: o.status ?? 'firing',
    labels: { alertname, severity: 'warning', version: '1', ...(o.model === null ? {} : { model: o.model ?? MODEL }) },
    annotations: { summary: `${alertname} on ${MODEL}` },
    startsAt: o.startsAt ?? '2026-01-01T10:00:00.000Z',
    endsAt: o.status === 'resolved' ? '2026-01-01T11:00:00.000Z' : '0001-01-01T00:00:00Z',
    generatorURL: 'http://127.0.0.1:9090/graph?g0.expr=x',
    fingerprint: o.fingerprint ?? `fp-${alertname}`,
  };
}

/** A webhook body exactly as Alertmanager 0.25+ sends it (version 4). */
function payload(alerts: ReturnType<typeof alert>[]) {
  return {
    receiver: 'mlops-retrain',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: { alertname: alerts[0]!.labels.alertname },
    commonLabels: { severity: 'warning' },
    commonAnnotations: {},
    externalURL: 'http://127.0.0.1:9093',
    version: '4',
    groupKey: '{}/{alertname=~"Mlops.*"}:{alertname="x"}',
    truncatedAlerts: 0,
  };
}

describe('Alertmanager webhook receiver', () => {
  let runner: RetrainRunner;
  let url: string;
  let key: string;
  let close: () => Promise<void>;
  let release: () => void = () => {};
  let hold = Promise.resolve();
  let retrains = 0;

  beforeAll(async () => {
    await registry.createModel({ name: MODEL });
    const train = makeData(200, 1);
    const digest = await saveLinearModel(objects, store, train);
    const v = await registry.createVersion({
      model: MODEL,
      packageDigest: digest,
      flavor: 'mlops.linear',
      metrics: { accuracy: 0.9 },
      profile: createProfile({ x1: train.x1, x2: train.x2 }),
    });
    await registry.promote({ model: MODEL, version: v.version, alias: 'production' });
    const policy = createContinuousTrainingPolicy({
      store,
      registry,
      model: MODEL,
      triggers: {},
      tracking: false,
      retrain: async (ctx) => {
        retrains++;
        await hold;
        const r = await registry.createVersion({
          model: MODEL,
          packageDigest: ctx.incumbent.packageDigest,
          flavor: 'mlops.linear',
          metrics: { accuracy: 0.9 },
        });
        return { version: r.version };
      },
    });
    runner = createRetrainRunner({ store, targets: { [MODEL]: { policy } } });
    const server = createModelServer({
      models: [{ name: MODEL, registry, alias: 'production', objects, flavors: [linearFlavor()] }],
      store,
      auth: { mode: 'required' },
      logging: false,
    });
    server.route(createAlertmanagerRoute({ runner, store }));
    const http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
    url = `${http.url}/v1/alerts/alertmanager`;
    key = (await createApiKey({ store, name: 'alertmanager', scopes: ['pipelines:retrain'] })).key;
    close = async () => {
      await runner.close();
      await http.close();
      await server.close();
    };
  });
  afterAll(async () => {
    await close?.();
  });

  const post = async (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${key}` }) => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as AlertmanagerResponse };
  };

  it('needs the bearer key (scope pipelines:retrain) and a version 4 payload', async () => {
    expect((await post(payload([alert('MlopsDatasetDrift')]), {})).status).toBe(401);
    const { key: predictOnly } = await createApiKey({ store, name: 'client', scopes: ['predict'] });
    expect((await post(payload([alert('MlopsDatasetDrift')]), { authorization: `Bearer ${predictOnly}` })).status).toBe(
      403,
    );
    const v3 = await post({ ...payload([alert('MlopsDatasetDrift')]), version: '3' });
    expect(v3.status).toBe(400);
    const noFingerprint = await post(payload([{ ...alert('MlopsDatasetDrift'), fingerprint: '' }]));
    expect(noFingerprint.status).toBe(400);
    expect(retrains).toBe(0);
  });

  it('a firing drift alert starts one retraining; re-sent, it starts nothing while its decision stands', async () => {
    hold = new Promise<void>((r) => {
      release = r;
    });
    const first = await post(
      payload([alert('MlopsDatasetDrift'), alert('MlopsFeedBroken'), alert('MlopsHighP99Latency')]),
    );
    expect(first.status).toBe(200);
    const [drift, broken, latency] = first.body.results;
    expect(drift).toMatchObject({ action: 'started', model: MODEL, alertname: 'MlopsDatasetDrift' });
    expect(broken).toMatchObject({ action: 'ignored', decisionId: null });
    expect(broken!.message).toMatch(/broken feed never starts a retraining/);
    expect(latency).toMatchObject({ action: 'ignored', message: 'MlopsHighP99Latency does not retrain' });
    // Re-sent (repeat_interval) while it runs: the same decision, nothing new; another alert of the model: running.
    const again = await post(payload([alert('MlopsDatasetDrift'), alert('MlopsMetricBelowThreshold')]));
    expect(again.body.results.map((r) => [r.action, r.decisionId])).toEqual([
      ['duplicate', drift!.decisionId],
      ['running', drift!.decisionId],
    ]);
    release();
    await runner.idle();
    const [d] = await listRetrainDecisions({ store, model: MODEL });
    expect(d).toMatchObject({ id: drift!.decisionId, status: 'promoted', principal: 'alertmanager' });
    expect(d!.reasons).toEqual([
      {
        trigger: 'alert',
        message:
          'alert MlopsDatasetDrift firing since 2026-01-01T10:00:00.000Z (fingerprint fp-MlopsDatasetDrift): MlopsDatasetDrift on am-model http://127.0.0.1:9090/graph?g0.expr=x',
      },
    ]);
    // Re-sent after the retraining finished: its decision stands (promoted), still nothing new.
    const later = await post(payload([alert('MlopsDatasetDrift')]));
    expect(later.body.results[0]).toMatchObject({ action: 'duplicate', decisionId: drift!.decisionId });
    expect(retrains).toBe(1);
    // Resolved: recorded. A new episode of the alert (fired again later: another startsAt) retrains again.
    const resolved = await post(payload([alert('MlopsDatasetDrift', { status: 'resolved' })]));
    expect(resolved.body.results[0]).toMatchObject({ action: 'resolved', decisionId: null });
    const episode = await post(payload([alert('MlopsDatasetDrift', { startsAt: '2026-01-02T10:00:00.000Z' })]));
    expect(episode.body.results[0]!.action).toBe('started');
    await runner.idle();
    expect(retrains).toBe(2);
  });

  it('ignores alerts without a model label or for a model without retraining; records every alert', async () => {
    const r = await post(
      payload([
        alert('MlopsDatasetDrift', { model: null, fingerprint: 'a' }),
        alert('MlopsDatasetDrift', { model: 'other', fingerprint: 'b' }),
      ]),
    );
    expect(r.body.results.map((x) => [x.action, x.message])).toEqual([
      ['ignored', 'no "model" label: no model to retrain'],
      ['ignored', 'no retraining is configured for model "other"'],
    ]);
    const rows = await store.query<{ action: string; n: number }>(
      'SELECT action, count(*)::int AS n FROM pipelines_alert_events GROUP BY action ORDER BY action',
    );
    expect(rows).toEqual([
      { action: 'duplicate', n: 2 },
      { action: 'ignored', n: 4 },
      { action: 'resolved', n: 1 },
      { action: 'running', n: 1 },
      { action: 'started', n: 2 },
    ]);
  });
});

const pgUrl = testPostgresUrl('the Alertmanager receiver across replicas');

describe.skipIf(!pgUrl)('Alertmanager receiver across replicas [postgres]', () => {
  const schema = `am_${Math.random().toString(36).slice(2, 10)}`;
  const url = () => `${pgUrl}${pgUrl!.includes('?') ? '&' : '?'}schema=${schema}`;
  let a: Store;
  let b: Store;
  let reg: Registry;
  let dir: string;
  beforeAll(async () => {
    a = await createStore(url());
    b = await createStore(url());
    dir = mkdtempSync(join(tmpdir(), 'mlops-am-pg-'));
    const objs = fsObjectStore({ dir, fsync: false });
    reg = await createRegistry({ store: a, objects: objs });
    await reg.createModel({ name: MODEL });
    const train = makeData(200, 1);
    const digest = await saveLinearModel(objs, a, train);
    await reg.createVersion({
      model: MODEL,
      packageDigest: digest,
      flavor: 'mlops.linear',
      metrics: { accuracy: 0.9 },
    });
    await reg.promote({ model: MODEL, version: 1, alias: 'production' });
  });
  afterAll(async () => {
    await reg?.close();
    await a?.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => undefined);
    await a?.close();
    await b?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('an alert delivered to one replica and re-sent to another starts one retraining', async () => {
    let retrains = 0;
    const replica = (store: Store) => {
      const policy = createContinuousTrainingPolicy({
        store,
        registry: reg,
        model: MODEL,
        triggers: {},
        tracking: false,
        retrain: async () => {
          retrains++;
          return { version: 1 };
        },
      });
      const runner = createRetrainRunner({ store, targets: { [MODEL]: { policy } } });
      return { runner, route: createAlertmanagerRoute({ runner, store }) };
    };
    const [ra, rb] = [replica(a), replica(b)];
    const deliver = (r: typeof ra) =>
      r.route.handler({
        body: alertmanagerPayloadSchema.parse(payload([alert('MlopsDatasetDrift')])),
        req: { headers: {} },
      });
    const first = await deliver(ra);
    expect(first.results[0]).toMatchObject({ action: 'started' });
    await ra.runner.idle();
    const resent = await deliver(rb);
    expect(resent.results[0]).toMatchObject({ action: 'duplicate', decisionId: first.results[0]!.decisionId });
    expect(retrains).toBe(1);
  });
});
