// server.route() with the method and path of a route the server already has (a built-in one, or an extension added
// before; parameter names, case and a trailing slash do not make paths differ, as express matches them) can never be
// reached: express runs the first. Before the fix it was accepted silently, listed twice in /openapi.json, and the
// new handler never ran. Now it throws CONFLICT naming the route.
import { isMlopsError } from '@mlops/core';
import { createModelServer } from '@mlops/serve';
import { describe, expect, it } from 'vitest';
import { testPredictor } from '../helpers.js';

const server = () => createModelServer({ models: [{ name: 'm', predictor: testPredictor() }], defaultMetrics: false });
const handler = () => ({ ok: true });

function conflictOf(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}

describe('server.route() refuses a route that could never be reached', () => {
  it.each([
    ['post', '/v1/models/:name/predict'],
    ['post', '/v1/models/:model/predict'],
    ['get', '/V1/Models'],
    ['get', '/metrics/'],
    ['post', '/v2/models/:x/versions/:y/infer'],
  ] as const)('%s %s (a built-in route) → CONFLICT', (method, path) => {
    const err = conflictOf(() => server().route({ method, path, scope: null, handler }));
    expect(isMlopsError(err, 'CONFLICT'), String(err)).toBe(true);
    expect((err as Error).message).toContain(method.toUpperCase());
  });

  it('the same extension route twice → CONFLICT; another method or path is fine', () => {
    const s = server();
    s.route({ method: 'post', path: '/tickets/:id/triage', scope: null, handler });
    expect(
      isMlopsError(
        conflictOf(() => s.route({ method: 'post', path: '/tickets/:ticket/triage', scope: null, handler })),
        'CONFLICT',
      ),
    ).toBe(true);
    expect(() => s.route({ method: 'get', path: '/tickets/:id/triage', scope: null, handler })).not.toThrow();
    expect(() => s.route({ method: 'post', path: '/tickets/:id/close', scope: null, handler })).not.toThrow();
    expect(() => s.route({ method: 'get', path: '/v1/models/:name/explain', scope: null, handler })).not.toThrow();
  });
});
