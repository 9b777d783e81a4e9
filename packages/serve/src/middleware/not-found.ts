import { MlopsError } from '@mlops/core';
import { allowedMethods, methodNotAllowedError, type RouteMethodPath } from '@mlops/core/http';
import type { RequestHandler } from 'express';

/**
 * After every route: 405 `METHOD_NOT_ALLOWED` with `Allow` when one of `routes` has the path but not the method,
 * else `NOT_FOUND` (404) naming the method and path (internal). `routes` is read per request: extension routes are
 * added after the server is created.
 */
export function notFound(routes: readonly RouteMethodPath[] = []): RequestHandler {
  return (req, res, next) => {
    const allowed = allowedMethods(routes, req.path);
    if (allowed.length > 0 && !allowed.includes(req.method)) {
      res.setHeader('allow', allowed.join(', '));
      next(methodNotAllowedError(req.method, req.path, allowed));
      return;
    }
    next(
      new MlopsError('NOT_FOUND', {
        message: `No route ${req.method} ${req.path.slice(0, 200)}`,
        details: [{ path: '(path)', message: 'Unknown route' }],
      }),
    );
  };
}
