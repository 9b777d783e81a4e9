import { type BuiltinRouteDeps, type ServerRoute, serverRoute } from './server-route.js';

const SERVER_NAME = 'mlops-serve';
const SERVER_VERSION = '0.0.0';

/** Server metadata, liveness and readiness (Open Inference Protocol v2); public, and answered while closing. */
export function v2HealthRoutes({ slots, lifecycle }: BuiltinRouteDeps): ServerRoute[] {
  return [
    serverRoute({
      method: 'get',
      path: '/v2',
      tags: ['v2'],
      summary: 'Server metadata (Open Inference Protocol v2)',
      scope: null,
      handler: () => ({ name: SERVER_NAME, version: SERVER_VERSION, extensions: [] }),
    }),
    serverRoute({
      method: 'get',
      path: '/v2/health/live',
      tags: ['v2'],
      summary: 'Liveness',
      scope: null,
      handler: () => ({ live: true }),
    }),
    serverRoute({
      method: 'get',
      path: '/v2/health/ready',
      tags: ['v2'],
      summary: 'Readiness: 200 when every model is loaded, 503 otherwise',
      scope: null,
      handler: ({ res }) => {
        const ready = !lifecycle.closing && slots.all.every((s) => s.ready);
        res.status(ready ? 200 : 503).json({ ready });
        return undefined;
      },
    }),
  ];
}

/** The server's name and version in `/v2` and the OpenAPI document (internal). */
export const SERVER_INFO = { name: SERVER_NAME, version: SERVER_VERSION };
