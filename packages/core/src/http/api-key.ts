import { MlopsError } from '../errors.js';

/** The headers {@link apiKeyFromHeaders} reads (node's `IncomingHttpHeaders` fits). */
export type ApiKeyHeaders = Readonly<Record<string, string | readonly string[] | undefined>>;

const BEARER = /^bearer[ \t]+(.+)$/i;

/**
 * The API key a request carries, or `undefined`; the one reading of `@mlops/serve`, the registry's router and
 * `@mlops/dashboard`. Two forms, in this order:
 *
 * 1. `Authorization: Bearer <key>`: the scheme in any case, then one or more spaces or tabs (RFC 7235);
 * 2. `X-API-Key: <key>`, used when there is no `Bearer` credential (another scheme, such as `Basic` meant for a
 *    proxy, is ignored).
 *
 * Spaces and tabs around the key are dropped; an empty key counts as none. A header given as a list (an in-process
 * caller's object: node itself joins repeated `X-API-Key` headers with `, `, which no key matches) counts as none.
 *
 * @example
 * apiKeyFromHeaders(req.headers); // 'mlops_3f9c…_Qm…' or undefined
 */
export function apiKeyFromHeaders(headers: ApiKeyHeaders): string | undefined {
  const auth = headers.authorization;
  if (typeof auth === 'string') {
    const m = BEARER.exec(auth.replace(/^[ \t]+|[ \t]+$/g, ''));
    const key = m?.[1]?.replace(/^[ \t]+/, '');
    if (key) return key;
  }
  const header = headers['x-api-key'];
  if (typeof header !== 'string') return undefined;
  const key = header.replace(/^[ \t]+|[ \t]+$/g, '');
  return key === '' ? undefined : key;
}

/** The 401 `UNAUTHORIZED` for a request without an API key (servers add `WWW-Authenticate: Bearer`). */
export function apiKeyRequiredError(): MlopsError {
  return new MlopsError('UNAUTHORIZED', {
    message: 'An API key is required: send "Authorization: Bearer <key>" (or "X-API-Key: <key>")',
    details: [{ path: '(headers).authorization', message: 'missing API key' }],
  });
}
