import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe } from 'vitest';
import { createStore } from '../store/create-store.js';
import type { Store } from '../store/store.js';

/** The environment variable naming the PostgreSQL server the suites also run on. */
export const TEST_POSTGRES_ENV = 'MLOPS_TEST_POSTGRES_URL';

/** One backend a suite runs on. */
export interface StoreBackend {
  /** `'pglite'` or `'postgres'`; suites put it in their titles as `[pglite]` / `[postgres]`. */
  name: 'pglite' | 'postgres';
  /** Opens a fresh, empty store. On PostgreSQL each call gets its own schema, dropped by `dispose`. */
  open(): Promise<Store>;
  /** Drops what `open` created (PostgreSQL schemas) after the store is closed. */
  dispose(store: Store): Promise<void>;
}

/** The environment variable that makes a missing {@link TEST_POSTGRES_ENV} an error instead of a skip (CI sets `1`). */
export const TEST_REQUIRE_POSTGRES_ENV = 'MLOPS_TEST_REQUIRE_POSTGRES';

/** True when the environment variable is set to `1`, `true` or `yes`. */
export function envFlag(name: string): boolean {
  return ['1', 'true', 'yes'].includes((process.env[name] ?? '').toLowerCase());
}

const warned = new Set<string>();

/**
 * The PostgreSQL URL for suites that need a server of their own (several processes, a killed writer), named
 * `… [postgres]` and skipped with `describe.skipIf(!url)`. Without `MLOPS_TEST_POSTGRES_URL` it prints why `what`
 * is skipped and returns `undefined`; under `MLOPS_TEST_REQUIRE_POSTGRES=1` (CI) it throws instead, so the file fails.
 *
 * @example
 * const url = testPostgresUrl('two processes racing');
 * describe.skipIf(!url)('two processes racing [postgres]', () => { … });
 */
export function testPostgresUrl(what: string): string | undefined {
  const url = process.env[TEST_POSTGRES_ENV];
  if (url) return url;
  if (envFlag(TEST_REQUIRE_POSTGRES_ENV)) {
    throw new Error(
      `${TEST_POSTGRES_ENV} is not set, but ${TEST_REQUIRE_POSTGRES_ENV}=1 requires the PostgreSQL suites (${what})`,
    );
  }
  if (!warned.has(what)) {
    warned.add(what);
    console.warn(`[mlops] ${TEST_POSTGRES_ENV} is not set: ${what} is skipped.`);
  }
  return undefined;
}

/**
 * The backends to test on: PGlite always; PostgreSQL when `MLOPS_TEST_POSTGRES_URL` is set. Without it, a reason is
 * printed once, and with `MLOPS_TEST_REQUIRE_POSTGRES=1` (CI) the absence is an error instead of a silent skip.
 */
export function testBackends(): StoreBackend[] {
  const backends: StoreBackend[] = [{ name: 'pglite', open: () => createStore('memory://'), dispose: async () => {} }];
  const url = testPostgresUrl('the [postgres] variant of each store suite (PGlite only)');
  if (url) {
    const schemas = new WeakMap<Store, string>();
    backends.push({
      name: 'postgres',
      async open() {
        const schema = `t_${randomBytes(6).toString('hex')}`;
        const sep = url.includes('?') ? '&' : '?';
        const store = await createStore(`${url}${sep}schema=${schema}`);
        schemas.set(store, schema);
        return store;
      },
      async dispose(store) {
        const schema = schemas.get(store);
        if (!schema) return;
        const admin = await createStore(url);
        try {
          await admin.exec(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await admin.close();
        }
      },
    });
  }
  return backends;
}

/**
 * Runs `body` once per backend (see {@link testBackends}) inside `describe('<title> [pglite]')` and
 * `describe('<title> [postgres]')`. One store per backend is opened in `beforeAll` and shared by the tests of the
 * block (PGlite takes seconds to start); `getStore()` returns it.
 *
 * @example
 * describeStores('tracking', (getStore) => {
 *   it('creates a run', async () => { const store = getStore(); … });
 * });
 */
export function describeStores(title: string, body: (getStore: () => Store, backend: StoreBackend) => void): void {
  for (const backend of testBackends()) {
    describe(`${title} [${backend.name}]`, () => {
      let store: Store | undefined;
      beforeAll(async () => {
        store = await backend.open();
      });
      afterAll(async () => {
        if (!store) return;
        await store.close();
        await backend.dispose(store);
      });
      body(() => {
        if (!store) throw new Error('store not open yet: call getStore() inside a test or hook');
        return store;
      }, backend);
    });
  }
}
