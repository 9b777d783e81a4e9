import { pgliteStore } from './pglite.js';
import { postgresStore } from './postgres.js';
import type { Store } from './store.js';
import { DEFAULT_STORE_URL, parseStoreUrl } from './url.js';

/**
 * Opens the store a URL names: `memory://`, `pglite://<dir>` or `postgres://…` (see {@link parseStoreUrl}).
 * Without an argument it uses `MLOPS_STORE`, else `pglite://.mlops/db`.
 *
 * @example
 * const store = await createStore('pglite://.mlops/db');
 * await store.migrate('my-app', [{ version: 1, name: 'init', sql: 'CREATE TABLE app_items (id text PRIMARY KEY)' }]);
 */
export async function createStore(url: string = process.env.MLOPS_STORE || DEFAULT_STORE_URL): Promise<Store> {
  const parsed = parseStoreUrl(url);
  if (parsed.driver === 'pglite') return pgliteStore({ dataDir: parsed.dataDir });
  return postgresStore({ connectionString: parsed.connectionString, schema: parsed.schema });
}
