import { MlopsError } from '../errors.js';

/** The store used when neither an argument nor `MLOPS_STORE` names one. */
export const DEFAULT_STORE_URL = 'pglite://.mlops/db';

/** A parsed store URL. See {@link parseStoreUrl} for the grammar. */
export type StoreUrl =
  | { driver: 'pglite'; dataDir: string | undefined; thread: 'main' | 'worker' | undefined; url: string }
  | { driver: 'postgres'; connectionString: string; schema: string | undefined; url: string };

const SCHEMA_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Parses a store URL. The grammar (deliberately not WHATWG `new URL()`, which reads `.mlops` as a host):
 *
 * ```
 * store-url   = "memory://" [pglite-query]           ; in-memory PGlite, gone when closed
 *             | "pglite://" path [pglite-query]      ; PGlite data directory; relative paths resolve against the cwd,
 *                                                    ; "pglite:///abs/dir" is absolute
 * pglite-query = "?thread=" ("main" | "worker")      ; where PGlite runs (see PgliteStoreOptions.thread)
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
    case 'memory': {
      const [path, query] = splitOnce(rest, '?');
      if (path !== '') {
        throw new MlopsError('INVALID_URL', {
          message: `Invalid store URL "${url}": memory:// takes no path`,
          details: [{ path: 'url', message: 'memory:// takes no path' }],
        });
      }
      const thread = pgliteThread(url, query);
      return { driver: 'pglite', dataDir: undefined, thread, url: thread ? `memory://?thread=${thread}` : 'memory://' };
    }
    case 'pglite': {
      const [beforeQuery, query] = splitOnce(rest, '?');
      const path = beforeQuery.split('#', 1)[0]!;
      if (path === '' || path === '/') {
        throw new MlopsError('INVALID_URL', {
          message: `Invalid store URL "${url}": pglite:// needs a data directory, e.g. pglite://.mlops/db`,
          details: [{ path: 'url', message: 'empty data directory' }],
        });
      }
      return { driver: 'pglite', dataDir: decodePath(url, path), thread: pgliteThread(url, query), url };
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
      if (params.getAll('schema').length > 1) {
        throw new MlopsError('INVALID_URL', {
          message: `Invalid store URL "${redactStoreUrl(url)}": "schema" is given twice; a postgres:// URL takes one ?schema=`,
          details: [{ path: 'url.schema', message: 'given more than once' }],
        });
      }
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
  // Well formed, the user info ends at the last `@` before the first `/`, `?` or `#` (a password may hold `@`).
  // Malformed (a password with an unencoded `/`, `?` or `#`, which no client can parse anyway), everything up to the
  // last `@` goes: better to hide too much of a broken URL than to print a password.
  let wellFormed = true;
  try {
    new URL(url);
  } catch {
    wellFormed = false;
  }
  return wellFormed
    ? url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:@?#]*):[^/?#]*@/, '$1:***@')
    : url.replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/[^/:@?#]*):.*@/s, '$1:***@');
}

/** The `thread` parameter of a PGlite URL's query (the only parameter it takes). */
function pgliteThread(url: string, query: string | undefined): 'main' | 'worker' | undefined {
  if (query === undefined) return undefined;
  const params = new URLSearchParams(query.split('#', 1)[0]);
  for (const key of params.keys()) {
    if (key !== 'thread') {
      throw new MlopsError('INVALID_URL', {
        message: `Invalid store URL "${url}": unknown parameter "${key}"; a PGlite URL takes only ?thread=main|worker`,
        details: [{ path: `url.${key}`, message: 'unknown parameter' }],
      });
    }
  }
  const threads = params.getAll('thread');
  if (threads.length > 1) {
    throw new MlopsError('INVALID_URL', {
      message: `Invalid store URL "${url}": "thread" is given twice; a PGlite URL takes one ?thread=main|worker`,
      details: [{ path: 'url.thread', message: 'given more than once' }],
    });
  }
  const thread = threads[0];
  if (thread === undefined) return undefined;
  if (thread !== 'main' && thread !== 'worker') {
    throw new MlopsError('INVALID_URL', {
      message: `Invalid store URL "${url}": thread must be "main" or "worker", got "${thread}"`,
      details: [{ path: 'url.thread', message: 'expected "main" or "worker"' }],
    });
  }
  return thread;
}

/** The data directory of a `pglite://` URL, percent-decoded; refused when it is not a path a file system can hold. */
function decodePath(url: string, path: string): string {
  let dir: string;
  try {
    dir = decodeURIComponent(path);
  } catch {
    throw new MlopsError('INVALID_URL', {
      message: `Invalid store URL "${url}": the data directory has a malformed percent-encoding (write "%25" for "%")`,
      details: [{ path: 'url', message: 'malformed percent-encoding' }],
    });
  }
  if (dir.includes('\u0000')) {
    throw new MlopsError('INVALID_URL', {
      message: `Invalid store URL "${url.replaceAll('\u0000', '\\0')}": the data directory contains U+0000 (NUL)`,
      details: [{ path: 'url', message: 'data directory contains U+0000 (NUL)' }],
    });
  }
  // A shell expands "~" only at the start of a word, never inside a URL: taken literally it would make a folder named
  // "~" in the working directory, and the user's data would not be where they look for it.
  if (dir === '~' || dir.startsWith('~/') || dir.startsWith('~\\')) {
    throw new MlopsError('INVALID_URL', {
      message: `Invalid store URL "${url}": "~" is not expanded in a URL; write the absolute path (pglite:///home/me/db) or one relative to the working directory`,
      details: [{ path: 'url', message: 'data directory starts with "~"' }],
    });
  }
  return dir;
}

function splitOnce(s: string, sep: string): [string, string | undefined] {
  const i = s.indexOf(sep);
  return i < 0 ? [s, undefined] : [s.slice(0, i), s.slice(i + 1)];
}
