import { DOCS_PAGE } from '../docs-page.js';
import { type ServerRoute, serverRoute } from './server-route.js';

/** `GET /docs`: the API reference page rendered from `/openapi.json`, self-contained under a strict CSP. */
export function docsRoute(): ServerRoute {
  return serverRoute({
    method: 'get',
    path: '/docs',
    tags: ['operations'],
    summary: 'API reference page rendered from this document',
    scope: null,
    handler: ({ res }) => {
      res.setHeader('content-security-policy', DOCS_PAGE.csp);
      res.setHeader('x-content-type-options', 'nosniff');
      res.type('html').send(DOCS_PAGE.html);
      return undefined;
    },
  });
}
