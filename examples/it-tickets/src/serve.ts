// Serves what `npm run example` left in its home: both production aliases (hot-swapped when they move) with the
// triage endpoint, the registry API, /metrics, /openapi.json and /docs, until Ctrl-C or SIGTERM (in-flight requests
// finish and the prediction log is flushed first).
//
//   npm run serve -w @mlops/example-it-tickets -- [--home .mlops] [--port 8080] [--host 127.0.0.1] [--auth auto]
//                                                 [--objects URL] [--retrain-config <module>]
//
// --objects is the object store `npm run example` wrote the model packages to: a folder or s3://bucket/prefix?…
// (default MLOPS_OBJECTS, else <home>/objects).
//
// --retrain-config is a retrain config module as `mlops retrain` takes it (createPolicy({ store, registry, objects,
// model, alias }) returning a continuous-training policy for `model`): the server then also answers
// POST /v1/models/{name}/retrain (202 + decision id; the policy runs in a worker thread, off the serving loop),
// GET /v1/models/{name}/retrain/{decisionId} and Alertmanager's webhook POST /v1/alerts/alertmanager (scope
// pipelines:retrain; docs/monitoring.md).
//
// Off loopback (`--host 0.0.0.0`) every request needs an API key (`Authorization: Bearer <key>`), the registry API
// included. Keys live in the home's store: when it holds no active key, one is created (scopes predict, feedback,
// registry:write) and printed once; clients read it from the environment (`MLOPS_API_KEY`). `--auth disabled` opts
// out explicitly (a loud warning), e.g. behind a proxy that authenticates.
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createStore } from '@mlops/core';
import { createApiKey, listApiKeys } from '@mlops/core/auth';
import { openObjectStore } from '@mlops/core/objects';
import { log } from '@mlops/example-kit';
import { createAlertmanagerRoute, createRetrainRoutes, createRetrainRunner } from '@mlops/pipelines';
import { createRegistry, createRegistryRouter } from '@mlops/registry';
import { type AuthMode, createModelServer, isLoopbackHost } from '@mlops/serve';
import { textModelFlavors } from './text-model.js';
import { createTriage, registryClasses } from './triage/index.js';

const { values: args } = parseArgs({
  options: {
    home: { type: 'string', default: '.mlops' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
    auth: { type: 'string', default: 'auto' },
    objects: { type: 'string' },
    'retrain-config': { type: 'string' },
  },
});
if (!['auto', 'required', 'disabled'].includes(args.auth)) {
  console.error(`--auth must be auto, required or disabled (got "${args.auth}")`);
  process.exit(2);
}
const auth = args.auth as AuthMode;
const HOME = resolve(args.home);
const MODELS = ['ticket-topic', 'ticket-urgency'] as const;

const store = await createStore(`pglite://${join(HOME, 'db')}`);
const objects = await openObjectStore(args.objects || process.env.MLOPS_OBJECTS || join(HOME, 'objects'));
const registry = await createRegistry({ store });
if (auth === 'required' || (auth === 'auto' && !isLoopbackHost(args.host))) {
  const now = Date.now();
  const active = (await listApiKeys({ store })).filter((k) => !k.revokedAt && (!k.expiresAt || +k.expiresAt > now));
  if (active.length === 0) {
    const created = await createApiKey({
      store,
      name: 'it-tickets-serve',
      scopes: ['predict', 'feedback', 'registry:write'],
    });
    // Shown once (only its hash is stored): the clients' key.
    process.stderr.write(
      `API keys are required on ${args.host}; created key ${created.id} (predict, feedback, registry:write), shown once:\n` +
        `  export MLOPS_API_KEY=${created.key}\n`,
    );
  }
}
const server = createModelServer({
  models: MODELS.map((name) => ({ name, registry, alias: 'production', objects, flavors: textModelFlavors() })),
  store,
  host: args.host,
  auth,
});
server.route(
  createTriage({
    topicModel: { name: MODELS[0], classes: registryClasses(registry, MODELS[0]) },
    urgencyModel: { name: MODELS[1], classes: registryClasses(registry, MODELS[1]) },
  }).route,
);
server.mount(
  '/registry',
  // Always the server's authenticate: it checks keys whenever the address in use needs them.
  createRegistryRouter({ registry, authenticate: (req, scope) => server.authenticate(req, scope) }),
);
const retrainConfig = args['retrain-config'];
const retrain = retrainConfig
  ? createRetrainRunner({
      store,
      objects,
      registry,
      targets: Object.fromEntries(MODELS.map((name) => [name, { module: resolve(retrainConfig) }])),
    })
  : undefined;
if (retrain) {
  for (const route of createRetrainRoutes({ runner: retrain })) server.route(route);
  server.route(createAlertmanagerRoute({ runner: retrain, store }));
}
await server.ready();
const listening = await server.listen({ port: Number(args.port), host: args.host });
log('serve', `serving ${MODELS.join(', ')} (production) with POST /tickets/triage`, {
  url: listening.url,
  docs: `${listening.url}/docs`,
  auth: server.authEnabled ? 'API keys' : 'off',
});
if (listening.server.listening) await once(listening.server, 'close');
await server.close(); // waits for the drain and the prediction-log flush
await retrain?.close(); // a retraining still running is recorded as failed
await registry.close();
await store.close();
