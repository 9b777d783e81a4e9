import type { Pool, PoolClient, PoolConfig, QueryConfig } from 'pg';
import { MlopsError, type MlopsErrorCode } from '../errors.js';
import type { Backoff } from '../retry.js';
import { createPgListener, DEFAULT_LISTEN_BACKOFF } from './_pg-listener.js';
import { INT8_OID, linkToRoot, parseInt8, quoteIdent } from './_shared.js';
import { runMigrations } from './migrate.js';
import type { ListenStatus, Migration, Store, StoreListenOptions } from './store.js';
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
  /** Any other `pg` pool setting (SSL, timeouts); the LISTEN connection uses them too. */
  pool?: Omit<PoolConfig, 'connectionString' | 'max'>;
  /**
   * Backoff between reconnection attempts of the LISTEN connection (one dedicated connection for every channel of
   * `listen`), after it is lost (server restart, failover, a killed backend). Attempts go on until the store closes.
   * @default { initialMs: 250, maxMs: 10_000, factor: 2 } (with jitter, see `backoffDelay`)
   */
  listenBackoff?: Partial<Backoff>;
  /**
   * Hears each loss and recovery of the LISTEN connection (for logs); `listen(…, { onStatus })` hears the same per
   * subscription.
   * @default a console warning on each loss and on recovery
   */
  onListenStatus?: (status: ListenStatus) => void;
}

function warnListenStatus(displayUrl: string): (status: ListenStatus) => void {
  return (status) => {
    if (status.state === 'lost') {
      console.warn(
        `[mlops] ${displayUrl}: LISTEN connection lost (${status.error.message}); reconnecting in ${status.retryInMs} ms`,
      );
    } else {
      console.warn(`[mlops] ${displayUrl}: LISTEN connection restored after ${status.attempts} attempt(s)`);
    }
  };
}

type Queryable = Pick<PoolClient, 'query'>;

/** Socket errors of a server that cannot be reached (down, wrong host or port, firewalled). */
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNRESET',
]);

/**
 * The code of a failure to open the store, so callers (and the CLI's exit codes) can tell them apart: refused
 * credentials (SQLSTATE class 28) are `UNAUTHORIZED`, a database that does not exist (3D000) `NOT_FOUND`, a server
 * that cannot be reached `UPSTREAM_ERROR`; anything else stays `INTERNAL`.
 */
function connectErrorCode(cause: unknown): MlopsErrorCode {
  const code = (cause as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'INTERNAL';
  if (code.startsWith('28')) return 'UNAUTHORIZED';
  if (code === '3D000') return 'NOT_FOUND';
  if (UNREACHABLE.has(code)) return 'UPSTREAM_ERROR';
  return 'INTERNAL';
}

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
    throw new MlopsError(connectErrorCode(cause), {
      message: `Could not connect to ${displayUrl}: ${(cause as Error).message}`,
      cause,
    });
  }

  let closed = false;
  const listener = createPgListener({
    newClient: () =>
      new pg.Client({
        ...options.pool,
        connectionString: options.connectionString,
        types,
        keepAlive: true,
        ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
      }),
    backoff: { ...DEFAULT_LISTEN_BACKOFF, ...options.listenBackoff },
    onStatus: options.onListenStatus ?? warnListenStatus(displayUrl),
  });
  const assertOpen = () => {
    if (closed) throw new MlopsError('STORE_CLOSED', `Store ${displayUrl} is closed`);
  };
  // Calls made on the store itself (not inside a transaction) that have not settled. close() waits for them before
  // ending the pool: pg's pool never answers a call still waiting for a connection once it is ending.
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(work: Promise<T>): Promise<T> => {
    inFlight.add(work);
    const forget = () => inFlight.delete(work);
    work.then(forget, forget);
    return work;
  };
  let closing: Promise<void> | undefined;

  /** `ended` is set on a transaction's store once its transaction is over (its client is back in the pool). */
  const make = (runner: Queryable | Pool, tx: { ended: boolean } | undefined): Store => {
    const check = () => {
      assertOpen();
      if (tx?.ended) {
        throw new MlopsError('STORE_CLOSED', {
          message: `The transaction this store belongs to has ended (${displayUrl}); use the store it came from`,
        });
      }
    };
    const run = <T>(work: () => Promise<T>): Promise<T> => {
      check();
      return tx ? work() : track(work());
    };
    const store: Store = {
      driver: 'postgres',
      blocksEventLoop: false,
      url: displayUrl,
      async query<T>(sql: string, params?: unknown[]) {
        // The extended protocol even without parameters: one statement, as on PGlite (the simple protocol would run
        // several and answer with no rows array). `queryMode` is missing from @types/pg's QueryConfig.
        const config: QueryConfig = Object.assign(
          { text: sql, values: params as unknown[] | undefined },
          { queryMode: 'extended' },
        );
        return run(async () => (await runner.query(config)).rows as T[]);
      },
      async exec(sql: string) {
        return run(async () => {
          await runner.query(sql);
        });
      },
      async transaction<T>(fn: (tx: Store) => Promise<T>) {
        check();
        if (tx) return fn(store);
        return track(runTransaction(fn));
      },
      migrate(namespace: string, migrations: readonly Migration[]) {
        return runMigrations(store, namespace, migrations);
      },
      async listen(channel: string, fn: (payload: string) => void, listenOptions?: StoreListenOptions) {
        check();
        return listener.listen(channel, fn, listenOptions);
      },
      async notify(channel: string, payload: string) {
        return run(async () => {
          await runner.query('SELECT pg_notify($1, $2)', [channel, payload]);
        });
      },
      close() {
        closing ??= (async () => {
          closed = true;
          await Promise.allSettled([...inFlight]);
          await listener.close();
          await pool.end();
        })();
        return closing;
      },
    };
    return store;
  };

  async function runTransaction<T>(fn: (tx: Store) => Promise<T>): Promise<T> {
    const client = await pool.connect();
    let broken = false;
    // A checked-out client has no error listener of the pool's: without this one, a connection lost mid-transaction
    // (a server restart) would be an unhandled 'error' event and crash the process. Its queries reject instead.
    const onError = () => {
      broken = true;
    };
    client.on('error', onError);
    const state = { ended: false };
    try {
      await client.query('BEGIN');
      const result = await fn(linkToRoot(make(client, state), root));
      const done = await client.query('COMMIT');
      // A statement failed inside the transaction and `fn` caught its error: PostgreSQL then answers COMMIT with
      // ROLLBACK, and nothing was written. Report it as PGlite does, rather than resolve as if committed.
      if (done.command === 'ROLLBACK') {
        throw Object.assign(
          new Error(
            'Transaction was rolled back instead of committed: one of its statements failed (and its error was caught)',
          ),
          { code: '25P02' },
        );
      }
      return result;
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch {
        broken = true;
      }
      throw err;
    } finally {
      state.ended = true;
      client.off('error', onError);
      client.release(broken);
    }
  }
  const root = make(pool, undefined);
  return root;
}
