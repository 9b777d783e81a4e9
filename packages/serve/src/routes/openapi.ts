import { type ServerRoute, serverRoute } from './server-route.js';

/** `GET /openapi.json`: the OpenAPI 3.1 document built from the mounted route definitions. */
export function openApiRoute(document: () => Record<string, unknown>): ServerRoute {
  return serverRoute({
    method: 'get',
    path: '/openapi.json',
    tags: ['operations'],
    summary: 'This document',
    scope: null,
    handler: () => document(),
  });
}
