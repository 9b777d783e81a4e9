// Issue 19, fault 5: no 500 for client input on any route. Fuzzed requests (fixed seed) against a model server with
// a prediction log and feedback, the registry router mounted at /registry, and an extension route shaped like the
// it-tickets triage route (text in, ctx.predict on the served model). 503/504 are by design; anything else ≥ 500 is
// a fault, and no error may reach onError. The same generator drives bench/http-fuzz-stress.bench.mjs (10,000).
import type { Store } from '@mlops/core';
import { describeStores } from '@mlops/core/testing';
import { createRegistry, createRegistryRouter, type Registry } from '@mlops/registry';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { z } from 'zod';
import { listen, testPredictor } from '../helpers.js';
import { describeRequest, fuzzRequests, isServerFault, sendFuzz } from './fuzz-requests.js';

const RUNS = 600;

describeStores('fuzzed requests on every route of a model server', (getStore) => {
  let store: Store;
  let registry: Registry;
  let server: ModelServer;
  let http: ListeningServer;
  const faults: { err: unknown; context: unknown }[] = [];
  beforeAll(async () => {
    store = getStore();
    registry = await createRegistry({ store });
    await registry.createModel({ name: 'fuzz-model' });
    for (const i of [1, 2]) {
      await registry.createVersion({
        model: 'fuzz-model',
        packageDigest: `sha256:${String(i).repeat(64)}`,
        flavor: 'f',
        metrics: { f1: i / 3 },
      });
      await registry.promote({ model: 'fuzz-model', version: i, alias: 'production' });
    }
    server = createModelServer({
      models: [{ name: 'm', predictor: testPredictor() }],
      store,
      defaultMetrics: false,
      onError: (err, context) => faults.push({ err, context }),
    });
    server.mount(
      '/registry',
      createRegistryRouter({ registry, onError: (err, context) => faults.push({ err, context }) }),
    );
    server.route({
      method: 'post',
      path: '/tickets/triage',
      scope: 'predict',
      body: z.strictObject({
        title: z.string().trim().max(300).default(''),
        body: z.string().trim().min(1).max(20_000),
      }),
      handler: async (ctx) => {
        const p = await ctx.predict('m', { x: [ctx.body.title.length], city: [`${ctx.body.title} ${ctx.body.body}`] });
        return { triageId: ctx.requestId, label: (p.outputs.label as string[])[0], predictionId: p.predictionIds[0] };
      },
    });
    http = await listen(server);
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
    await registry?.close();
  });

  it(`${RUNS} fuzzed requests: no 500, no fault reported, errors are typed JSON without stacks`, async () => {
    const origin = new URL(http.url).origin;
    const arb = fuzzRequests({
      model: 'm',
      registryModel: 'fuzz-model',
      alias: 'production',
      registryPrefix: '/registry',
      triagePath: '/tickets/triage',
    });
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(arb, async (r) => {
        const res = await sendFuzz(origin, r);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        const what = `${describeRequest(r)} → ${res.status} ${res.text.slice(0, 300)}`;
        expect(isServerFault(res.status), what).toBe(false);
        expect(res.requestId, what).toBeTruthy();
        if (res.status >= 400) {
          expect(() => JSON.parse(res.text), what).not.toThrow();
          expect(res.text, what).not.toMatch(/\n\s+at /);
        }
      }),
      { numRuns: RUNS, seed: 19, endOnFailure: true },
    );
    // Nothing the boundary let through is refused by the store later (fault 4).
    const stats = await server.logger!.flush();
    expect(stats.abandoned).toBe(0);
    expect((stats as { quarantined?: number }).quarantined ?? 0).toBe(0);
    expect(faults.map((f) => [String(f.err), f.context])).toEqual([]);
    // The generator reaches the handlers, not only the validators.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(RUNS / 20);
    expect(statuses.get(400) ?? 0).toBeGreaterThan(RUNS / 10);
  }, 120_000);
});
