import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { MlopsError } from '../errors.js';
import { invalidInput } from '../validation.js';
import { INT8_OID, linkToRoot, parseInt8 } from './_shared.js';
import { acquireLock } from './lock.js';
import { runMigrations } from './migrate.js';
import type { Migration, Store } from './store.js';

/** Options of {@link pgliteStore}. */
export interface PgliteStoreOptions {
  /**
   * Data directory. Relative paths resolve against the current working directory.
   * @default undefined (in-memory: the data is gone when the store closes)
   */
  dataDir?: string;
  /**
   * PostgreSQL's `shared_buffers` (its page cache inside the WebAssembly memory), e.g. `'16MB'`. An in-memory store
   * keeps its pages in memory already, so a second, large cache only costs RSS: `memory://` opens with 16MB
   * (about 140 MB less RSS than PGlite's default); a directory keeps PGlite's default (128MB).
   * @default '16MB' in memory, PGlite's default (128MB) with a `dataDir`
   */
  sharedBuffers?: string;
}

/** `shared_buffers` of an in-memory store. */
const MEMORY_SHARED_BUFFERS = '16MB';

type Runner = Pick<PGlite | Transaction, 'query' | 'exec'>;

/**
 * An embedded PostgreSQL (PGlite, WebAssembly) store. One process owns a data directory: a second opener gets
 * `STORE_LOCKED` naming the holder. Starting takes a few seconds; share one store per process.
 */
export async function pgliteStore(options: PgliteStoreOptions = {}): Promise<Store> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  const displayUrl = dataDir === undefined ? 'memory://' : `pglite://${options.dataDir}`;
  const sharedBuffers = options.sharedBuffers ?? (dataDir === undefined ? MEMORY_SHARED_BUFFERS : undefined);
  if (sharedBuffers !== undefined && !/^\d+(kB|MB|GB)?$/.test(sharedBuffers)) {
    throw invalidInput('pglite store options', [
      {
        path: 'sharedBuffers',
        message: `expected a PostgreSQL size such as '16MB', got ${JSON.stringify(sharedBuffers)}`,
      },
    ]);
  }
  let release: (() => void) | undefined;
  if (dataDir !== undefined) {
    mkdirSync(dirname(dataDir), { recursive: true });
    release = await acquireLock(`${dataDir}.lock`, `Store ${displayUrl}`);
  }
  let db: PGlite;
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    db = await PGlite.create(dataDir, {
      parsers: { [INT8_OID]: parseInt8 },
      ...(sharedBuffers !== undefined ? { postgresqlconf: `shared_buffers=${sharedBuffers}` } : {}),
    });
  } catch (cause) {
    release?.();
    throw new MlopsError('INTERNAL', { message: `Could not open ${displayUrl}: ${(cause as Error).message}`, cause });
  }
  let closed = false;
  const assertOpen = () => {
    if (closed) throw new MlopsError('STORE_CLOSED', `Store ${displayUrl} is closed`);
  };

  const make = (runner: Runner, inTx: boolean): Store => {
    const store: Store = {
      driver: 'pglite',
      url: displayUrl,
      async query<T>(sql: string, params?: unknown[]) {
        assertOpen();
        return (await runner.query<T>(sql, params as unknown[] | undefined)).rows;
      },
      async exec(sql: string) {
        assertOpen();
        await runner.exec(sql);
      },
      async transaction<T>(fn: (tx: Store) => Promise<T>) {
        assertOpen();
        if (inTx) return fn(store);
        return db.transaction((tx) => fn(linkToRoot(make(tx, true), root)));
      },
      migrate(namespace: string, migrations: readonly Migration[]) {
        return runMigrations(store, namespace, migrations);
      },
      async listen(channel: string, fn: (payload: string) => void) {
        assertOpen();
        const unlisten = await db.listen(channel, fn);
        return async () => {
          if (!closed) await unlisten();
        };
      },
      async notify(channel: string, payload: string) {
        assertOpen();
        await runner.query('SELECT pg_notify($1, $2)', [channel, payload]);
      },
      async close() {
        if (closed) return;
        closed = true;
        try {
          await db.close();
        } finally {
          release?.();
        }
      },
    };
    return store;
  };
  const root = make(db, false);
  return root;
}
