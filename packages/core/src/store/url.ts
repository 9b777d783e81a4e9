import { MlopsError } from '../errors.js';

/** The store used when neither an argument nor `MLOPS_STORE` names one. */
export const DEFAULT_STORE_URL = 'pglite://.mlops/db';

/** A parsed store URL. See {@link parseStoreUrl} for the grammar. */
export type StoreUrl =
  | { driver: 'pglite'; dataDir: string | undefined; url: string }
  | { driver: 'postgres'; connectionString: string; schema: string | undefined; url: string };

const SCHEMA_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Parses a store URL. The grammar (deliberately not WHATWG `new URL()`, which reads `.mlops` as a host):
 *
 * ```
 * store-url   = "memory://"                          ; in-memory PGlite, gone when closed
 *             | "pglite://" path                     ; PGlite data directory; relative paths resolve against the cwd,
 *                                                    ; "pglite:///abs/dir" is absolute
 *             | ("postgres" | "postgresql") "://" …  ; handed to `pg` as a connection string; an optional
 *                                                    ; "schema=<name>" query parameter sets the search_path
 * ```
 * Anything else is an `INVALID_URL` error that says what was expected.
 */
export function parseStoreUrl(input: string): StoreUrl {
  const url = input.trim();
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(url);
  if (!m) {
    throw new MlopsError('INVALID_URL', {
      message: `Invalid store URL "${redactStoreUrl(url)}": missing "<scheme>://"; expected memory://, pglite://<path> or postgres://…`,
      details: [{ path: 'url', message: 'missing "<scheme>://"' }],
    });
  }
  const scheme = m[1]!.toLowerCase();
  const rest = m[2]!;
  switch (scheme) {
    case 'memory':
      if (rest !== '') {
        throw new MlopsError('INVALID_URL', {
          message: `Invalid store URL "${url}": memory:// takes no path`,
          details: [{ path: 'url', message: 'memory:// takes no path' }],
        });
      }
      return { driver: 'pglite', dataDir: undefined, url: 'memory://' };
    case 'pglite': {
      const path = rest.split(/[?#]/, 1)[0]!;
      if (path === '' || path === '/') {
        throw new MlopsError('INVALID_URL', {
          message: `Invalid store URL "${url}": pglite:// needs a data directory, e.g. pglite://.mlops/db`,
          details: [{ path: 'url', message: 'empty data directory' }],
        });
      }
      return { driver: 'pglite', dataDir: decodeURIComponent(path), url };
    }
    case 'postgres':
    case 'postgresql': {
      if (rest === '') {
        throw new MlopsError('INVALID_URL', {
          message: `Invalid store URL "${url}": postgres:// needs a host, e.g. postgres://user:pass@localhost/db`,
          details: [{ path: 'url', message: 'empty host' }],
        });
      }
      const [beforeQuery, query = ''] = splitOnce(rest, '?');
      const params = new URLSearchParams(query);
      const schema = params.get('schema') ?? undefined;
      if (schema !== undefined && !SCHEMA_RE.test(schema)) {
        throw new MlopsError('INVALID_URL', {
          message: `Invalid store URL "${redactStoreUrl(url)}": schema "${schema}" must match ${SCHEMA_RE}`,
          details: [{ path: 'url.schema', message: 'not a plain SQL identifier' }],
        });
      }
      params.delete('schema');
      const q = params.toString();
      return {
        driver: 'postgres',
        connectionString: `${scheme}://${beforeQuery}${q ? `?${q}` : ''}`,
        schema,
        url,
      };
    }
    default:
      throw new MlopsError('INVALID_URL', {
        message: `Unknown store URL scheme "${scheme}://" in "${redactStoreUrl(url)}": expected memory://, pglite:// or postgres://`,
        details: [{ path: 'url', message: `unknown scheme "${scheme}"` }],
      });
  }
}

/** Returns the URL with any password replaced by `***`, for logs and error messages. */
export function redactStoreUrl(url: string): string {
  return url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:@?#]*):[^@/?#]*@/, '$1:***@');
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
