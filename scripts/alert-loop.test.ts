// The alert loop with real components: a model server fed a drifting stream, a real Prometheus (Debian's) scraping it
// with deploy/prometheus/alerts.yml (`for:` and the intervals shortened), a real Alertmanager routing with
// deploy/host/alertmanager.yml to the server's receiver (POST /v1/alerts/alertmanager, bearer API key), and the
// retraining it starts: deploy/retrain.config.mjs in the runner's worker thread. The test waits for the recorded
// decision. Skipped with a printed reason where the binaries are missing; CI requires it (check-prometheus-ran.mjs).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStore, type FsObjectStore, fsObjectStore, type Store } from '@mlops/core';
import { createApiKey } from '@mlops/core/auth';
import { listRetrainDecisions, type RetrainDecision } from '@mlops/core/retrain-decisions';
import { createTracker } from '@mlops/core/tracking';
import {
  createAlertmanagerRoute,
  createRetrainRoutes,
  createRetrainRunner,
  type RetrainRunner,
} from '@mlops/pipelines';
import { linearFlavor } from '@mlops/plugin-linear';
import { createRegistry, type Registry } from '@mlops/registry';
import { createModelServer, type ModelServer } from '@mlops/serve';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerTicketModel } from './fixtures/ticket-model.js';
import { prometheusSkipReason } from './prometheus-testing.mjs';
import { ROOT, startStack } from './stack.mjs';

const TIMEOUT = 120_000;
const MODEL = 'tickets';

// The training data: three topics, the vocabulary of 2024.
const TOPICS: Record<string, string[]> = {
  access: [
    'reset my password please',
    'password expired cannot log in',
    'locked out of my account',
    'forgot password for email',
    'account locked after failed login',
    'need password reset for vpn account',
    'cannot log in password rejected',
    'my account is locked again',
    'login fails with wrong password',
    'please unlock my user account',
  ],
  hardware: [
    'printer jammed on floor two',
    'laptop screen is broken',
    'keyboard keys not working',
    'printer out of toner',
    'monitor flickers all day',
    'laptop battery does not charge',
    'mouse stopped working',
    'broken screen on my laptop',
    'printer shows paper jam',
    'replace broken keyboard',
  ],
  network: [
    'wifi keeps disconnecting',
    'vpn connection drops',
    'no internet in meeting room',
    'network very slow today',
    'cannot reach shared drive over network',
    'wifi signal weak in office',
    'vpn will not connect from home',
    'ethernet port dead at my desk',
    'internet down on third floor',
    'slow network when uploading files',
  ],
};
// The drifting stream: tools and words the model never saw.
const SHIFTED = [
  'mfa authenticator app not sending code',
  'authenticator push never arrives',
  'mfa enrollment on new phone',
  'sso token rejected by authenticator',
  'webcam not detected in teams call',
  'headset microphone crackles in teams',
  'webcam image is black',
  'usb headset not recognised',
  'hotdesk booking portal unreachable',
  'teams call drops on hybrid floor',
  'zoom lags on hotdesk floor',
  'hybrid room bandwidth saturated',
];

const skip = prometheusSkipReason('the alert loop (server → Prometheus → Alertmanager → retraining)');

describe.skipIf(!!skip)('alert loop with a real Prometheus and Alertmanager [prometheus]', () => {
  let dir: string;
  let store: Store;
  let objects: FsObjectStore;
  let registry: Registry;
  let server: ModelServer;
  let runner: RetrainRunner;
  let http: { url: string; close(): Promise<void> };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'mlops-alert-loop-'));
    store = await createStore('memory://');
    objects = fsObjectStore({ dir: join(dir, 'objects'), fsync: false });
    registry = await createRegistry({ store, objects });
    await registerTicketModel({ store, objects, registry, model: MODEL, topics: TOPICS, dir });

    server = createModelServer({
      models: [{ name: MODEL, registry, alias: 'production', objects, flavors: [linearFlavor()] }],
      store,
      host: '127.0.0.1',
      auth: { mode: 'required' },
      // Gauges re-evaluated at every scrape (the default waits a minute between two evaluations).
      monitoring: { refreshMs: 200, features: ['text'], drift: { columnMapping: { text: ['text'] } } },
      logging: { flushIntervalMs: 100 },
    });
    // deploy/retrain.config.mjs, as the deployed server runs it, in a worker thread.
    runner = createRetrainRunner({
      store,
      objects,
      registry,
      targets: {
        [MODEL]: {
          module: join(ROOT, 'deploy/retrain.config.mjs'),
          env: {
            MLOPS_MODEL: MODEL,
            MLOPS_MODEL_ALIAS: 'production',
            MLOPS_RETRAIN_DATASET: 'tickets-train',
            MLOPS_RETRAIN_LABEL_COLUMN: 'topic',
            MLOPS_RETRAIN_MIN_ACCURACY: '0.5',
            MLOPS_RETRAIN_GATE_MIN_ROWS: '3',
          },
        },
      },
    });
    for (const route of createRetrainRoutes({ runner })) server.route(route);
    server.route(createAlertmanagerRoute({ runner, store }));
    await server.ready();
    http = await server.listen({ port: 0, host: '127.0.0.1', signals: [] });
  }, TIMEOUT);

  afterAll(async () => {
    await runner?.close();
    await http?.close();
    await server?.close();
    await registry?.close();
    await store?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it(
    'a drifting stream fires MlopsDatasetDrift in Prometheus, Alertmanager delivers it, the server retrains',
    async () => {
      const client = (await createApiKey({ store, name: 'client', scopes: ['predict'] })).key;
      const alertmanagerKey = (await createApiKey({ store, name: 'alertmanager', scopes: ['pipelines:retrain'] })).key;
      const stack = await startStack({
        serverUrl: http.url,
        dir: join(dir, 'stack'),
        apiKey: alertmanagerKey,
        scrapeInterval: '1s',
        evaluationInterval: '1s',
        ruleFor: '0s',
        groupWait: '1s',
        groupInterval: '1s',
        repeatInterval: '1h',
      });
      try {
        const started = Date.now();
        // 36 predictions (≥ minSamples 30) of tickets in words the model never saw.
        for (let round = 0; round < 3; round++) {
          const res = await fetch(`${http.url}/v1/models/${MODEL}/predict`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${client}` },
            body: JSON.stringify({ instances: SHIFTED.map((text) => ({ text })) }),
          });
          expect(res.status).toBe(200);
        }
        let decision: RetrainDecision | undefined;
        while (Date.now() - started < 90_000) {
          const all = await listRetrainDecisions({ store, model: MODEL });
          decision = all.find((d) => d.reasons.some((r) => r.trigger === 'alert') && d.status !== 'running');
          if (decision) break;
          await new Promise((r) => setTimeout(r, 250));
        }
        const seconds = (Date.now() - started) / 1000;
        if (!decision) {
          const alerts = await (await fetch(`${stack.urls.prometheus}/api/v1/alerts`)).json();
          throw new Error(
            `no retraining decision from an alert after ${seconds} s; Prometheus alerts: ${JSON.stringify(alerts)}\n` +
              `alertmanager:\n${stack.alertmanager.output()}`,
          );
        }
        console.log(
          `alert loop: drifting stream → recorded retraining decision (${decision.status}) in ${seconds.toFixed(1)} s`,
        );
        const reason = decision.reasons.find((r) => r.trigger === 'alert')!;
        expect(reason.message).toMatch(/^alert MlopsDatasetDrift firing since .* \(fingerprint [0-9a-f]+\)/);
        expect(decision.principal).toBe('alertmanager'); // the API key Alertmanager sent as its bearer token
        expect(['promoted', 'rejected']).toContain(decision.status);
        expect(decision.candidateVersion).toBe(2);
        if (decision.status === 'promoted') {
          // The thread promoted through the server's registry: the server follows the alias at once (PGlite has no
          // cross-process events; the thread's promotion is an in-process one).
          const until = Date.now() + 20_000;
          let served = '1';
          while (served !== '2' && Date.now() < until) {
            const m = (await (
              await fetch(`${http.url}/v1/models/${MODEL}`, { headers: { authorization: `Bearer ${client}` } })
            ).json()) as {
              versions: { version: string; role: string }[];
            };
            served = m.versions.find((v) => v.role === 'primary')?.version ?? '';
            if (served !== '2') await new Promise((r) => setTimeout(r, 100));
          }
          expect(served).toBe('2');
        }
        // The retraining is a tracked run, linked from the decision; v2 names it as its source.
        expect((await registry.getVersion({ model: MODEL, version: 2 })).sourceRunId).toBe(decision.runId);
        expect((await createTracker({ store }).getRun(decision.runId!)).tags['mlops.retrain.decision']).toBe(
          decision.id,
        );
        const events = await store.query<{ alertname: string; action: string; decision_id: string | null }>(
          'SELECT alertname, action, decision_id FROM pipelines_alert_events ORDER BY id',
        );
        expect(events).toContainEqual({ alertname: 'MlopsDatasetDrift', action: 'started', decision_id: decision.id });
        // The feed was never broken and no other alert started anything.
        expect(events.filter((e) => e.action === 'started')).toHaveLength(1);
      } finally {
        const exits = await stack.stop();
        expect(exits.prometheus.code === 0 || exits.prometheus.signal === 'SIGTERM').toBe(true);
      }
    },
    TIMEOUT,
  );
});
