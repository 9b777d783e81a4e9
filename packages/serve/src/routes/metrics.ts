import type { Registry } from 'prom-client';
import type { Monitor } from '../monitoring.js';
import { type ServerRoute, serverRoute } from './server-route.js';

/** `GET /metrics`: Prometheus text exposition; the monitoring gauges are refreshed first (at most once per `refreshMs`). */
export function metricsRoute(registry: Registry, monitor: Monitor | undefined, publicMetrics: boolean): ServerRoute {
  return serverRoute({
    method: 'get',
    path: '/metrics',
    tags: ['operations'],
    summary: 'Prometheus metrics (text exposition format)',
    scope: publicMetrics ? null : 'admin',
    handler: async ({ res }) => {
      await monitor?.refresh();
      res.setHeader('content-type', registry.contentType);
      res.send(await registry.metrics());
      return undefined;
    },
  });
}
