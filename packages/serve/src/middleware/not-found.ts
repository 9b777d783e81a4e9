import { MlopsError } from '@mlops/core';
import type { RequestHandler } from 'express';

/** After every route: `NOT_FOUND` (404) naming the method and path (internal). */
export function notFound(): RequestHandler {
  return (req, _res, next) => {
    next(
      new MlopsError('NOT_FOUND', {
        message: `No route ${req.method} ${req.path.slice(0, 200)}`,
        details: [{ path: '(path)', message: 'Unknown route' }],
      }),
    );
  };
}
