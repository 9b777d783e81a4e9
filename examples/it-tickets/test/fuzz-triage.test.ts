// Issue 19, faults 4 and 5 on the example's own route: fuzzed POST /tickets/triage and POST /v1/feedback (fixed seed,
// the generator of @mlops/serve's fuzz tests) never answer 500, report no fault, and never hand the prediction log a
// row the store refuses (nothing abandoned). The two models are stand-ins with the served models' signature (text in,
// label and probabilities out), so the test needs no dataset; the route, knowledge base and template reply are real.
import type { Columns, Predictor, Store } from '@mlops/core';
import { errorBodySchema } from '@mlops/core/http';
import { describeStores } from '@mlops/core/testing';
import { TICKET_TOPICS } from '@mlops/datasets';
import { createModelServer, type ListeningServer, type ModelServer } from '@mlops/serve';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  describeRequest,
  fuzzRequests,
  isServerFault,
  sendFuzz,
} from '../../../packages/serve/test/faults/fuzz-requests.js';
import { createTriage } from '../src/triage/index.js';

const RUNS = 150;

/** A deterministic stand-in classifier: the class picked by a hash of the text. */
function standIn(classes: readonly string[]): Predictor {
  return {
    signature: {
      inputs: [{ name: 'text', type: 'string', shape: [] }],
      outputs: [
        { name: 'label', type: 'string', shape: [] },
        { name: 'probabilities', type: 'float32', shape: [classes.length] },
      ],
    },
    batchable: true,
    async predict(inputs: Columns) {
      const texts = inputs.text as string[];
      const picks = texts.map((t) => [...t].reduce((h, c) => (h * 31 + c.codePointAt(0)!) % 9973, 7) % classes.length);
      return {
        label: picks.map((k) => classes[k]!),
        probabilities: picks.map((k) =>
          Float32Array.from(classes, (_, i) => (i === k ? 0.9 : 0.1 / (classes.length - 1))),
        ),
      };
    },
  };
}

describeStores('fuzzed triage and feedback requests', (getStore) => {
  let store: Store;
  let server: ModelServer;
  let http: ListeningServer;
  const faults: { err: unknown; context: unknown }[] = [];
  beforeAll(async () => {
    store = getStore();
    const urgency = ['0', '1', '2', '3'];
    server = createModelServer({
      models: [
        { name: 'ticket-topic', predictor: standIn(TICKET_TOPICS) },
        { name: 'ticket-urgency', predictor: standIn(urgency) },
      ],
      store,
      defaultMetrics: false,
      onError: (err, context) => faults.push({ err, context }),
    });
    server.route(
      createTriage({
        topicModel: { name: 'ticket-topic', classes: TICKET_TOPICS },
        urgencyModel: { name: 'ticket-urgency', classes: urgency },
        llm: false,
      }).route,
    );
    http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  });
  afterAll(async () => {
    await http?.close();
    await server?.close();
  });

  it(`${RUNS} fuzzed requests: no 500, no fault, nothing abandoned by the prediction log`, async () => {
    const origin = new URL(http.url).origin;
    const arb = fuzzRequests({ model: 'ticket-topic', triagePath: '/tickets/triage' }).filter(
      (r) => r.path === '/tickets/triage' || r.path === '/v1/feedback',
    );
    let triaged = 0;
    await fc.assert(
      fc.asyncProperty(arb, async (r) => {
        const res = await sendFuzz(origin, r);
        if (r.path === '/tickets/triage' && res.status === 200) triaged++;
        const what = `${describeRequest(r)} → ${res.status} ${res.text.slice(0, 300)}`;
        expect(isServerFault(res.status), what).toBe(false);
        if (res.status >= 400) expect(() => JSON.parse(res.text), what).not.toThrow();
      }),
      { numRuns: RUNS, seed: 19, endOnFailure: true },
    );
    const stats = await server.logger!.flush();
    expect(stats.abandoned).toBe(0);
    expect((stats as { quarantined?: number }).quarantined ?? 0).toBe(0);
    expect(faults.map((f) => [String(f.err), f.context])).toEqual([]);
    expect(triaged).toBeGreaterThan(5);
  }, 120_000);

  it('a ticket holding U+0000 or a lone surrogate is a 400 naming the field', async () => {
    for (const [field, body] of [
      ['body', { title: 'VPN', body: 'cannot connect\u0000' }],
      ['title', { title: 'VPN \ud800', body: 'cannot connect' }],
    ] as const) {
      const res = await fetch(`${http.url}/tickets/triage`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const json = errorBodySchema.parse(await res.json());
      expect(res.status).toBe(400);
      expect(json.error.code).toBe('INVALID_INPUT');
      expect(json.error.details.map((d) => d.path)).toEqual([`body.${field}`]);
    }
  });
});
