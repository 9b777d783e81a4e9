// Issue 19, fault 5: no 500 for client input on the dashboard's JSON API. Fuzzed requests (fixed seed; the generator
// of @mlops/serve's fuzz tests) against a dashboard over a seeded store: 503/504 are by design, anything else ≥ 500 is
// a fault, and no error may reach onError.
import type { Store } from '@mlops/core';
import { describeStores } from '@mlops/core/testing';
import { type ListeningDashboard, listenDashboard } from '@mlops/dashboard';
import { createRegistry } from '@mlops/registry';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { describeRequest, fuzzRequests, isServerFault, sendFuzz } from '../../../serve/test/faults/fuzz-requests.js';
import { type Seeded, seedStore } from '../seed.js';

const RUNS = 250;

describeStores('fuzzed requests on the dashboard API', (getStore) => {
  let store: Store;
  let seeded: Seeded;
  let dash: ListeningDashboard;
  const faults: { err: unknown; context: unknown }[] = [];
  beforeAll(async () => {
    store = getStore();
    seeded = await seedStore(store, { predictions: 200 });
    dash = await listenDashboard({
      store,
      registry: seeded.registry,
      objects: seeded.objects,
      port: 0,
      onError: (err, context) => faults.push({ err, context }),
    });
  }, 120_000);
  afterAll(async () => {
    await dash?.close();
    await seeded?.registry.close();
  });

  it(`${RUNS} fuzzed requests: no 500, no fault reported, errors are typed JSON`, async () => {
    const origin = new URL(dash.url).origin;
    const arb = fuzzRequests({
      model: seeded.model,
      registryModel: seeded.model,
      alias: 'production',
      dashboardPrefix: '/ui',
      runId: seeded.trainRuns[0]!.runId,
    }).filter((r) => r.path.startsWith('/ui/'));
    let ok = 0;
    await fc.assert(
      fc.asyncProperty(arb, async (r) => {
        const res = await sendFuzz(origin, r);
        if (res.status === 200) ok++;
        const what = `${describeRequest(r)} → ${res.status} ${res.text.slice(0, 300)}`;
        expect(isServerFault(res.status), what).toBe(false);
        if (res.status >= 400) expect(() => JSON.parse(res.text), what).not.toThrow();
      }),
      { numRuns: RUNS, seed: 19, endOnFailure: true },
    );
    expect(faults.map((f) => [String(f.err), f.context])).toEqual([]);
    expect(ok).toBeGreaterThan(RUNS / 20);
  }, 120_000);
});

describeStores('dashboard API faults', (getStore) => {
  it('a server fault is a 500 without internals, reported with the request id the client saw', async () => {
    const store = getStore();
    const registry = await createRegistry({ store, events: false });
    // listModels fails as a real fault would (a dropped connection).
    const failing = new Proxy(registry, {
      get: (target, prop, receiver) =>
        prop === 'listModels'
          ? () => Promise.reject(new Error('connection terminated unexpectedly'))
          : Reflect.get(target, prop, receiver),
    });
    const reported: { err: unknown; context: { requestId?: string; path: string } }[] = [];
    const dash = await listenDashboard({
      store,
      registry: failing,
      port: 0,
      onError: (err, context) => reported.push({ err, context }),
    });
    try {
      const res = await fetch(new URL('api/models', dash.url), { headers: { 'x-request-id': 'probe-500' } });
      expect(res.status).toBe(500);
      expect(await res.json()).toEqual({
        error: { code: 'INTERNAL', message: 'Internal server error', details: [], requestId: 'probe-500' },
      });
      expect(reported.map((r) => r.context)).toEqual([
        { method: 'GET', path: '/ui/api/models', requestId: 'probe-500' },
      ]);
      const bad = await fetch(new URL('api/models/not-there', dash.url));
      expect(bad.status).toBe(404);
      expect(((await bad.json()) as { error: { requestId: string } }).error.requestId).toBe(
        bad.headers.get('x-request-id'),
      );
      expect(reported).toHaveLength(1);
    } finally {
      await dash.close();
      await registry.close();
    }
  });
});
