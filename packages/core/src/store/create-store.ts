import { pgliteStore } from './pglite.js';
import { postgresStore } from './postgres.js';
import type { Store } from './store.js';
import { DEFAULT_STORE_URL, parseStoreUrl } from './url.js';

/** Options of {@link createStore}. */
export interface CreateStoreOptions {
  /**
   * Where a PGlite store (`memory://`, `pglite://…`) runs when its URL has no `?thread=`: `'worker'` for a server,
   * whose event loop should never wait for SQL (see `PgliteStoreOptions.thread`). Ignored for PostgreSQL.
   * @default 'main'
   */
  pgliteThread?: 'main' | 'worker';
}

/**
 * Opens the store a URL names: `memory://`, `pglite://<dir>` (either with `?thread=worker` to run PGlite in a worker
 * thread) or `postgres://…` (see {@link parseStoreUrl}). Without a URL it uses `MLOPS_STORE`, else `pglite://.mlops/db`.
 *
 * @example
 * const store = await createStore('pglite://.mlops/db');
 * await store.migrate('my-app', [{ version: 1, name: 'init', sql: 'CREATE TABLE app_items (id text PRIMARY KEY)' }]);
 * // a server: PGlite's SQL on a thread of its own, beside the requests
 * const served = await createStore(process.env.MLOPS_STORE, { pgliteThread: 'worker' });
 */
export async function createStore(
  url: string | undefined = process.env.MLOPS_STORE || DEFAULT_STORE_URL,
  options: CreateStoreOptions = {},
): Promise<Store> {
  const parsed = parseStoreUrl(url || DEFAULT_STORE_URL);
  if (parsed.driver === 'pglite') {
    const thread = parsed.thread ?? options.pgliteThread;
    return pgliteStore({ dataDir: parsed.dataDir, ...(thread ? { thread } : {}) });
  }
  return postgresStore({ connectionString: parsed.connectionString, schema: parsed.schema });
}
