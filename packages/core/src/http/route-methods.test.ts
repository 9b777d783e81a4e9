import { describe, expect, it } from 'vitest';
import { errorResponse } from './error-contract.js';
import { allowedMethods, methodNotAllowedError } from './route-methods.js';

const routes = [
  { method: 'get', path: '/v1/models' },
  { method: 'post', path: '/v1/models/:name/predict' },
  { method: 'get', path: '/models/:model' },
  { method: 'patch', path: '/models/:model' },
  { method: 'delete', path: '/models/:model' },
  { method: 'get', path: '/files/*rest' },
  { method: 'get', path: '/a.b' },
];

describe('allowedMethods', () => {
  it.each([
    ['/v1/models', ['GET', 'HEAD']],
    ['/v1/models/', ['GET', 'HEAD']],
    ['/V1/Models', ['GET', 'HEAD']],
    ['/v1/models/iris/predict', ['POST']],
    ['/v1/models/a%2Fb/predict', ['POST']],
    ['/models/x', ['DELETE', 'GET', 'HEAD', 'PATCH']],
    ['/files/a/b/c', ['GET', 'HEAD']],
    ['/a.b', ['GET', 'HEAD']],
    ['/axb', []],
    ['/v1/models/iris', []],
    ['/v1/models//predict', []],
    ['/v1/models/a/b/predict', []],
    ['/', []],
  ])('%s → %j', (path, expected) => {
    expect(allowedMethods(routes, path)).toEqual(expected);
  });

  it('methodNotAllowedError is a 405 with a field path', () => {
    const r = errorResponse(methodNotAllowedError('PUT', '/v1/models', ['GET', 'HEAD']), 'r1');
    expect(r.status).toBe(405);
    expect(r.body.error).toMatchObject({ code: 'METHOD_NOT_ALLOWED', details: [{ path: '(method)' }] });
  });
});
