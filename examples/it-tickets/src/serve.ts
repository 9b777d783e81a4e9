// Serves what `npm run example` left in its home: both production aliases (hot-swapped when they move) with the
// triage endpoint, the registry API, /metrics, /openapi.json and /docs, until Ctrl-C or SIGTERM (in-flight requests
// finish and the prediction log is flushed first).
//
//   npm run serve -w @mlops/example-it-tickets -- [--home .mlops] [--port 8080] [--host 127.0.0.1]
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createStore, fsObjectStore } from '@mlops/core';
import { log } from '@mlops/example-kit';
import { createRegistry, createRegistryRouter } from '@mlops/registry';
import { createModelServer } from '@mlops/serve';
import { textModelFlavors } from './text-model.js';
import { createTriage, registryClasses } from './triage/index.js';

const { values: args } = parseArgs({
  options: {
    home: { type: 'string', default: '.mlops' },
    port: { type: 'string', default: '8080' },
    host: { type: 'string', default: '127.0.0.1' },
  },
});
const HOME = resolve(args.home);
const MODELS = ['ticket-topic', 'ticket-urgency'] as const;

const store = await createStore(`pglite://${join(HOME, 'db')}`);
const objects = fsObjectStore({ dir: join(HOME, 'objects') });
const registry = await createRegistry({ store });
const server = createModelServer({
  models: MODELS.map((name) => ({ name, registry, alias: 'production', objects, flavors: textModelFlavors() })),
  store,
});
server.route(
  createTriage({
    topicModel: { name: MODELS[0], classes: registryClasses(registry, MODELS[0]) },
    urgencyModel: { name: MODELS[1], classes: registryClasses(registry, MODELS[1]) },
  }).route,
);
server.mount(
  '/registry',
  createRegistryRouter({
    registry,
    ...(server.authEnabled ? { authenticate: (req, scope) => server.authenticate(req, scope) } : {}),
  }),
);
await server.ready();
const listening = await server.listen({ port: Number(args.port), host: args.host });
log('serve', `serving ${MODELS.join(', ')} (production) with POST /tickets/triage`, {
  url: listening.url,
  docs: `${listening.url}/docs`,
});
if (listening.server.listening) await once(listening.server, 'close');
await server.close(); // waits for the drain and the prediction-log flush
await registry.close();
await store.close();
