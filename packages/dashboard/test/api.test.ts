// The dashboard's JSON API over a seeded store, on PGlite and (with MLOPS_TEST_POSTGRES_URL) on PostgreSQL: each
// backend gets a fresh store (its own schema on PostgreSQL), so runs never see each other's seed data.
import type { Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { describeStores } from '@mlops/core/testing';
import { type ListeningDashboard, listenDashboard } from '@mlops/dashboard';
import { createModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Seeded, seedStore } from './seed.js';

describeStores('dashboard API', (getStore) => {
  let store: Store;
  let seeded: Seeded;
  let dash: ListeningDashboard;

  beforeAll(async () => {
    store = getStore();
    seeded = await seedStore(store);
    dash = await listenDashboard({ store, registry: seeded.registry, objects: seeded.objects, port: 0 });
  }, 120_000);

  afterAll(async () => {
    await dash?.close();
    await seeded?.registry.close();
  });

  async function get(path: string, init: RequestInit = {}) {
    const res = await fetch(new URL(path, dash.url), init);
    const text = await res.text();
    const isJson = res.headers.get('content-type')?.includes('application/json') ?? false;
    return { status: res.status, headers: res.headers, text, json: isJson && text ? JSON.parse(text) : null };
  }

  async function post(path: string, body: unknown, headers: Record<string, string> = {}) {
    return get(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  type ErrorJson = { error: { code: string; message: string; details?: { path: string; message: string }[] } };
  const paths = (j: ErrorJson) => (j.error.details ?? []).map((d) => d.path);

  describe('runs API', () => {
    it('lists runs, filtered by metric and param, sorted by a metric', async () => {
      const all = await get('api/runs');
      expect(all.status).toBe(200);
      const trainIds = seeded.trainRuns.map((r) => r.runId);
      expect(all.json.runs.map((r: { id: string }) => r.id)).toEqual(expect.arrayContaining(trainIds));
      expect(all.json.experiments.length).toBeGreaterThan(0);

      const good = await get(`api/runs?metric=${encodeURIComponent('accuracy>=0.8')}`);
      expect(good.json.runs.map((r: { id: string }) => r.id)).toEqual([seeded.trainRuns[1]!.runId]);

      // The pipeline run carries its params too: both it and its train step match, the lr=0.05 runs do not.
      const byParam = await get(`api/runs?param=${encodeURIComponent('lr=0.02')}`);
      expect(byParam.json.runs.map((r: { id: string }) => r.id)).toContain(seeded.trainRuns[0]!.runId);
      expect(byParam.json.runs.map((r: { id: string }) => r.id)).not.toContain(seeded.trainRuns[1]!.runId);
      expect(byParam.json.runs.every((r: { params: { lr: string } }) => r.params.lr === '0.02')).toBe(true);
      const notParam = await get(`api/runs?param=${encodeURIComponent('lr!=0.02')}&nested=true`);
      expect(notParam.json.runs.map((r: { id: string }) => r.id)).toContain(seeded.trainRuns[1]!.runId);

      const asc = await get('api/runs?sort=metric:accuracy&dir=asc&metric=accuracy>0');
      const values = asc.json.runs.map((r: { metrics: { accuracy: number } }) => r.metrics.accuracy);
      expect(values).toEqual([...values].sort((a, b) => a - b));
      expect(values).toHaveLength(2);

      const top = await get('api/runs?nested=false');
      expect(top.json.runs.every((r: { parentRunId: string | null }) => r.parentRunId === null)).toBe(true);
    });

    it('answers client mistakes with 400 and field paths', async () => {
      const bad = await get(`api/runs?metric=${encodeURIComponent('accuracy>>1')}&status=sleeping&limit=0&bogus=1`);
      expect(bad.status).toBe(400);
      expect(bad.json.error.code).toBe('INVALID_INPUT');
      expect(paths(bad.json)).toEqual(expect.arrayContaining(['query.metric.0', 'query.status.0', 'query.limit']));
      expect(paths(bad.json).some((p: string) => p.startsWith('query'))).toBe(true);

      const sort = await get('api/runs?sort=colour');
      expect(sort.status).toBe(400);
      expect(paths(sort.json)).toEqual(['query.sort']);

      const one = await get(`api/compare?ids=${seeded.trainRuns[0]!.runId}`);
      expect(one.status).toBe(400);
      expect(paths(one.json)).toEqual(['query.ids']);

      const missing = await get('api/runs/does-not-exist');
      expect(missing.status).toBe(404);
      expect(missing.json.error.code).toBe('NOT_FOUND');

      const route = await get('api/nothing-here');
      expect(route.status).toBe(404);
    });

    it('shows a run with params, metric histories, artifacts and dataset lineage', async () => {
      const { runId } = seeded.trainRuns[1]!;
      const r = await get(`api/runs/${runId}`);
      expect(r.status).toBe(200);
      expect(r.json.params).toMatchObject({ lr: '0.05', epochs: '5' });
      expect(r.json.histories.accuracy.map((p: { step: number }) => p.step)).toEqual([1, 2, 3, 4, 5]);
      expect(r.json.metrics.accuracy).toBeCloseTo(0.85);
      expect(r.json.artifacts.map((a: { name: string }) => a.name)).toEqual(['model.json']);
      expect(r.json.datasets[0]).toMatchObject({ name: 'customers', role: 'train' });

      const art = await get(`api/runs/${runId}/artifact?name=model.json`);
      expect(art.status).toBe(200);
      expect(JSON.parse(art.text)).toEqual({ lr: 0.05 });
    });

    it('compares runs with each metric over steps per run', async () => {
      const ids = seeded.trainRuns.map((r) => r.runId);
      const c = await get(`api/compare?ids=${ids.join(',')}`);
      expect(c.status).toBe(200);
      expect(c.json.runs.map((r: { id: string }) => r.id)).toEqual(ids);
      expect(Object.keys(c.json.histories)).toEqual(expect.arrayContaining(['accuracy', 'loss']));
      for (const id of ids) expect(c.json.histories.accuracy[id]).toHaveLength(5);
      const lr = c.json.params.find((p: { key: string }) => p.key === 'lr');
      expect(lr).toMatchObject({ values: ['0.02', '0.05'], differs: true });
    });
  });

  describe('models API', () => {
    it('lists models and shows versions, aliases, decisions and the audit log', async () => {
      const list = await get('api/models');
      expect(list.json.models).toEqual([
        expect.objectContaining({ name: 'churn', latestVersion: 2, aliases: [{ alias: 'production', version: 1 }] }),
      ]);
      const d = await get('api/models/churn');
      expect(d.json.versions.map((v: { version: number }) => v.version)).toEqual([2, 1]);
      // Newest first: the policy's candidate v2 failed its gate; the first promotion of v1 passed.
      expect(d.json.decisions).toHaveLength(2);
      expect(d.json.decisions[0]).toMatchObject({ candidateVersion: 2, incumbentVersion: 1, passed: false });
      expect(d.json.decisions[1]).toMatchObject({ candidateVersion: 1, passed: true });
      expect(d.json.audit.map((a: { action: string }) => a.action)).toContain('alias.promoted');
      expect((await get('api/models/nope')).status).toBe(404);
    });

    it('promotes and rolls back, moving the alias in the registry', async () => {
      const p = await post('api/models/churn/promote', { version: 2, alias: 'production', expectedIncumbent: 1 });
      expect(p.status).toBe(200);
      expect(p.json.alias).toMatchObject({ alias: 'production', version: 2 });
      expect((await seeded.registry.resolve({ model: 'churn', alias: 'production' })).version).toBe(2);

      // Compare-and-set: the page showed v1, but the alias is now at v2.
      const stale = await post('api/models/churn/promote', { version: 1, expectedIncumbent: 1 });
      expect(stale.status).toBe(409);
      expect(stale.json.error.code).toBe('CONFLICT');

      const r = await post('api/models/churn/rollback', { alias: 'production' });
      expect(r.status).toBe(200);
      expect(r.json).toMatchObject({ alias: { version: 1 }, fromVersion: 2 });
      expect((await seeded.registry.resolve({ model: 'churn', alias: 'production' })).version).toBe(1);

      const audit = await get('api/audit?model=churn');
      const actions = audit.json.items.map((a: { action: string; reason: string | null }) => [a.action, a.reason]);
      expect(actions).toContainEqual(['alias.rolled-back', 'rolled back from the dashboard']);
      expect(actions).toContainEqual(['alias.promoted', 'promoted from the dashboard']);
    });

    it('refuses malformed writes with 4xx and field paths, never 500', async () => {
      const wrong = await post('api/models/churn/promote', { version: 'two', alias: '9lives', extra: true });
      expect(wrong.status).toBe(400);
      expect(paths(wrong.json)).toEqual(expect.arrayContaining(['body.version', 'body.alias', 'body']));

      const notJson = await get('api/models/churn/promote', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'version=2',
      });
      expect(notJson.status).toBe(415);
      expect(notJson.json.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');

      const broken = await post('api/models/churn/promote', '{"version":');
      expect(broken.status).toBe(400);
      expect(broken.json.error.code).toBe('INVALID_INPUT');

      const cross = await post('api/models/churn/rollback', {}, { origin: 'http://evil.example' });
      expect(cross.status).toBe(403);

      const none = await post('api/models/nope/rollback', {});
      expect(none.status).toBe(404);

      const noVersion = await post('api/models/churn/promote', { version: 99 });
      expect(noVersion.status).toBe(404);
      expect((await seeded.registry.resolve({ model: 'churn', alias: 'production' })).version).toBe(1);
    });
  });

  describe('monitoring API', () => {
    it('buckets requests, latency, drift per column and accuracy from feedback, with alerts', async () => {
      const models = await get('api/monitoring/models');
      expect(models.json.models).toEqual(['churn']);
      const m = await get('api/monitoring?model=churn&buckets=3&minSamples=20');
      expect(m.status).toBe(200);
      expect(m.json.total).toEqual({ requests: 120, predictions: 240, labelled: 80 });
      expect(m.json.buckets).toHaveLength(3);
      expect(m.json.buckets.reduce((s: number, b: { predictions: number }) => s + b.predictions, 0)).toBe(240);
      expect(m.json.columns).toEqual(['plan', 'tenure']);
      const [first, , last] = m.json.buckets;
      type Bucket = { drift: { column: string; drifted: boolean; score: number }[] };
      const tenure = (b: Bucket) => b.drift.find((d) => d.column === 'tenure')!;
      // The last third of the log is shifted: drift there, with p-values far below the unshifted buckets'.
      expect(tenure(last).drifted).toBe(true);
      expect(last.datasetDrift).toBe(true);
      expect(Math.max(tenure(first).score, tenure(m.json.buckets[1]).score)).toBeGreaterThan(tenure(last).score * 1e6);
      expect(first.accuracy).toBeGreaterThan(last.accuracy);
      expect(first.latencyP95).toBeGreaterThanOrEqual(first.latencyP50);
      expect(m.json.alerts.some((a: { kind: string }) => a.kind === 'drift')).toBe(true);
      expect(m.json.decisions).toEqual([
        expect.objectContaining({ status: 'rejected', triggered: true, incumbentVersion: 1, candidateVersion: 2 }),
      ]);
      expect(m.json.alerts).toContainEqual(
        expect.objectContaining({ kind: 'retrain', message: expect.stringContaining('Retraining rejected') }),
      );

      const bad = await get('api/monitoring?buckets=0');
      expect(bad.status).toBe(400);
      expect(paths(bad.json)).toEqual(expect.arrayContaining(['query.model', 'query.buckets']));
      const order = await get('api/monitoring?model=churn&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z');
      expect(order.status).toBe(400);
      expect(paths(order.json)).toEqual(['query.to']);
    });
  });

  describe('page and assets', () => {
    it('serves the page shell, the bundled front end, and redirects to the trailing slash', async () => {
      const page = await get('');
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
      expect(page.text).toContain('<script type="module" src="assets/app.js">');
      const js = await get('assets/app.js');
      expect(js.status).toBe(200);
      expect(js.headers.get('content-type')).toMatch(/javascript/);
      expect(js.text).toContain('Compare selected');
      const css = await get('assets/app.css');
      expect(css.headers.get('content-type')).toMatch(/text\/css/);
      expect((await get('assets/nope.js')).status).toBe(404);
      expect((await get('api/info')).json).toEqual({ title: 'mlops dashboard', authEnabled: false, principal: null });
      const experiments = await get('api/experiments');
      // The seed's pipeline, and the seed's retraining (every retraining is a tracked run).
      expect(experiments.json.experiments.map((e: { name: string }) => e.name)).toEqual([
        'pipeline/churn-training',
        'retrain/churn',
      ]);
      const noSlash = await fetch(dash.url.replace(/\/$/, ''), { redirect: 'manual' });
      expect(noSlash.status).toBe(308);
      expect(noSlash.headers.get('location')).toBe('/ui/');
    });
  });

  describe('auth and mounting', () => {
    it('needs registry:read to read and registry:write to promote when auth is on', async () => {
      const authed = await listenDashboard({ store, registry: seeded.registry, auth: 'required', port: 0 });
      try {
        const url = (p: string) => new URL(p, authed.url);
        const reader = await createApiKey({ store, name: 'viewer', scopes: ['registry:read'] });
        const writer = await createApiKey({ store, name: 'deployer', scopes: ['registry:write'] });
        expect((await fetch(url('api/models'))).status).toBe(401);
        const bearer = (k: string) => ({ authorization: `Bearer ${k}` });
        expect((await fetch(url('api/models'), { headers: bearer(reader.key) })).status).toBe(200);
        const promote = (key: string) =>
          fetch(url('api/models/churn/promote'), {
            method: 'POST',
            headers: { ...bearer(key), 'content-type': 'application/json' },
            body: JSON.stringify({ version: 2 }),
          });
        expect((await promote(reader.key)).status).toBe(403);
        expect((await promote(writer.key)).status).toBe(200);
        const [entry] = (await seeded.registry.listAudit({ model: 'churn', limit: 1 })).items;
        expect(entry).toMatchObject({
          action: 'alias.promoted',
          principal: expect.stringContaining('apikey:deployer'),
        });
        await seeded.registry.rollback({ model: 'churn', alias: 'production' });
        const page = await (await fetch(authed.url)).text();
        expect(page).toContain('data-auth="on"');
      } finally {
        await authed.close();
      }
    });

    it('mounts into @mlops/serve with server.mount', async () => {
      const { createDashboard } = await import('@mlops/dashboard');
      const server = createModelServer({ models: [], store, logging: false, monitoring: false, defaultMetrics: false });
      const dashboard = createDashboard({ store, registry: seeded.registry });
      server.mount('/ui', dashboard.router);
      const l = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
      try {
        const res = await fetch(`${l.url}/ui/api/models`);
        expect(res.status).toBe(200);
        expect(((await res.json()) as { models: { name: string }[] }).models[0]!.name).toBe('churn');
        const bad = await fetch(`${l.url}/ui/api/runs?limit=-1`);
        expect(bad.status).toBe(400);
      } finally {
        await l.close();
        await dashboard.close();
      }
    });
  });
});
