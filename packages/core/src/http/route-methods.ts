import { HttpError } from './error-contract.js';

/** What {@link allowedMethods} needs of a route: its method and express-style path. */
export interface RouteMethodPath {
  method: string;
  path: string;
}

const ESCAPE = /[.*+?^${}()|[\]\\]/g;

/** The express-style route path as express matches it: `:param` one segment, `*name` the rest, `/` at the end optional. */
function pathPattern(path: string): RegExp {
  const source = path
    .replace(/\/+$/, '')
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '[^/]+' : seg.startsWith('*') ? '.+' : seg.replace(ESCAPE, '\\$&')))
    .join('/');
  return new RegExp(`^${source}/?$`, 'i');
}

/**
 * The methods (upper case, `HEAD` wherever `GET` is) the routes take at `path`, a request's path (`req.path`); empty
 * when no route has that path. A server answers 405 with these in `Allow` when the path is known but not the method
 * (`@mlops/serve` and the registry's router), and 404 when it is empty.
 *
 * @example
 * allowedMethods([{ method: 'post', path: '/v1/models/:name/predict' }], '/v1/models/iris/predict'); // ['POST']
 */
export function allowedMethods(routes: readonly RouteMethodPath[], path: string): string[] {
  const methods = new Set<string>();
  for (const r of routes) {
    if (!pathPattern(r.path).test(path)) continue;
    const m = r.method.toUpperCase();
    methods.add(m);
    if (m === 'GET') methods.add('HEAD');
  }
  return [...methods].sort();
}

/** The 405 `METHOD_NOT_ALLOWED` for a request whose path is known but whose method is not (`allowed` from {@link allowedMethods}). */
export function methodNotAllowedError(method: string, path: string, allowed: readonly string[]): HttpError {
  return new HttpError('METHOD_NOT_ALLOWED', {
    message: `${method} is not allowed on ${path.slice(0, 200)} (allowed: ${allowed.join(', ')})`,
    details: [{ path: '(method)', message: `Expected one of ${allowed.join(', ')}` }],
  });
}
