import type { Pool, PoolClient, PoolConfig } from 'pg';
import { MlopsError } from '../errors.js';
import { INT8_OID, linkToRoot, parseInt8, quoteIdent } from './_shared.js';
import { runMigrations } from './migrate.js';
import type { Migration, Store } from './store.js';
import { redactStoreUrl } from './url.js';

/** Options of {@link postgresStore}. */
export interface PostgresStoreOptions {
  /** A `postgres://` connection string, as `pg` takes it. */
  connectionString: string;
  /**
   * Schema that holds every table (`search_path`); created when missing.
   * @default undefined (the server's default, usually `public`)
   */
  schema?: string;
  /**
   * Largest number of pooled connections.
   * @default 10
   */
  max?: number;
  /** Any other `pg` pool setting (SSL, timeouts). */
  pool?: Omit<PoolConfig, 'connectionString' | 'max'>;
}

type Queryable = Pick<PoolClient, 'query'>;

/**
 * A PostgreSQL store over a `pg` connection pool. `pg` is imported on first use, so processes on PGlite never load it.
 * Several processes may open the same database: migrations are serialised with an advisory lock.
 */
export async function postgresStore(options: PostgresStoreOptions): Promise<Store> {
  const displayUrl = redactStoreUrl(options.connectionString);
  const pg = (await import('pg')).default;
  const types = {
    getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
      oid === INT8_OID && format !== 'binary'
        ? parseInt8
        : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
  };
  const pool: Pool = new pg.Pool({
    ...options.pool,
    connectionString: options.connectionString,
    max: options.max ?? 10,
    types,
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  // An idle client losing its connection must not crash the process; the next query reconnects.
  pool.on('error', () => {});
  try {
    if (options.schema) await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(options.schema)}`);
    else await pool.query('SELECT 1');
  } catch (cause) {
    await pool.end().catch(() => {});
    throw new MlopsError('INTERNAL', {
      message: `Could not connect to ${displayUrl}: ${(cause as Error).message}`,
      cause,
    });
  }

  let closed = false;
  const listeners = new Set<PoolClient>();
  const assertOpen = () => {
    if (closed) throw new MlopsError('STORE_CLOSED', `Store ${displayUrl} is closed`);
  };

  const make = (runner: Queryable | Pool, inTx: boolean): Store => {
    const store: Store = {
      driver: 'postgres',
      url: displayUrl,
      async query<T>(sql: string, params?: unknown[]) {
        assertOpen();
        const res = await runner.query(sql, params as unknown[] | undefined);
        return res.rows as T[];
      },
      async exec(sql: string) {
        assertOpen();
        await runner.query(sql);
      },
      async transaction<T>(fn: (tx: Store) => Promise<T>) {
        assertOpen();
        if (inTx) return fn(store);
        const client = await pool.connect();
        let broken = false;
        try {
          await client.query('BEGIN');
          const result = await fn(linkToRoot(make(client, true), root));
          await client.query('COMMIT');
          return result;
        } catch (err) {
          try {
            await client.query('ROLLBACK');
          } catch {
            broken = true;
          }
          throw err;
        } finally {
          client.release(broken);
        }
      },
      migrate(namespace: string, migrations: readonly Migration[]) {
        return runMigrations(store, namespace, migrations);
      },
      async listen(channel: string, fn: (payload: string) => void) {
        assertOpen();
        const client = await pool.connect();
        listeners.add(client);
        const onNotification = (msg: { channel: string; payload?: string }) => {
          if (msg.channel === channel) fn(msg.payload ?? '');
        };
        client.on('notification', onNotification);
        await client.query(`LISTEN ${quoteIdent(channel)}`);
        let done = false;
        return async () => {
          if (done) return;
          done = true;
          client.off('notification', onNotification);
          listeners.delete(client);
          try {
            if (!closed) await client.query(`UNLISTEN ${quoteIdent(channel)}`);
          } finally {
            client.release();
          }
        };
      },
      async notify(channel: string, payload: string) {
        assertOpen();
        await runner.query('SELECT pg_notify($1, $2)', [channel, payload]);
      },
      async close() {
        if (closed) return;
        closed = true;
        for (const client of listeners) client.release();
        listeners.clear();
        await pool.end();
      },
    };
    return store;
  };
  const root = make(pool, false);
  return root;
}
