const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * True for a request id taken from a client (`x-request-id`): 1–128 letters, digits, `.`, `_`, `:` or `-`. Servers of
 * every package (`@mlops/serve`, the registry's router, the dashboard) keep such an id and make up a UUID otherwise.
 */
export function isRequestId(value: unknown): value is string {
  return typeof value === 'string' && REQUEST_ID_RE.test(value);
}
