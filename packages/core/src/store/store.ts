/** One versioned schema change owned by a package: applied once, in `version` order, inside a transaction. */
export interface Migration {
  /** Strictly increasing within a namespace, starting at 1. */
  version: number;
  /** Short description, recorded in `core_migrations`. */
  name: string;
  /** SQL that runs on PostgreSQL 15 and on PGlite alike. May hold several statements. */
  sql: string;
}

/**
 * A change of the LISTEN connection (PostgreSQL): `'lost'` when it dropped or a reconnection attempt failed (the next
 * attempt, numbered from 0, runs in `retryInMs`), `'restored'` once it is back and LISTEN re-issued for every channel.
 * Notifications sent between the two were not received.
 */
export type ListenStatus =
  | { state: 'lost'; error: Error; attempt: number; retryInMs: number }
  | { state: 'restored'; attempts: number };

/** Options of {@link Store.listen}. */
export interface StoreListenOptions {
  /** Hears each loss and recovery of the connection behind the subscription (never called on PGlite). */
  onStatus?: (status: ListenStatus) => void;
}

/** A SQL database: embedded PGlite or a PostgreSQL server, with the same SQL on both. */
export interface Store {
  /** `'pglite'` or `'postgres'`. */
  readonly driver: 'pglite' | 'postgres';
  /** The URL this store was opened with, password redacted. */
  readonly url: string;
  /**
   * True when SQL runs on the calling thread and holds its event loop while it runs (PGlite with `thread: 'main'`), so
   * writers on a server's path keep their statements small. False for PostgreSQL and for PGlite in a worker thread.
   * @default `driver === 'pglite'` when absent (a store written before this property)
   */
  readonly blocksEventLoop?: boolean;
  /** Runs one parameterised statement (`$1`, `$2`, …) and returns its rows. */
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs several statements separated by `;`, without parameters (DDL, scripts). */
  exec(sql: string): Promise<void>;
  /** Runs `fn` in a transaction: committed when it resolves, rolled back when it throws. Nested calls reuse it. */
  transaction<T>(fn: (tx: Store) => Promise<T>): Promise<T>;
  /** Applies the not-yet-applied migrations of `namespace`, serialised across processes. */
  migrate(namespace: string, migrations: readonly Migration[]): Promise<void>;
  /**
   * Subscribes to a notification channel (PostgreSQL LISTEN; in-process only on PGlite). Returns an unsubscribe
   * function. On PostgreSQL a lost connection is reopened with backoff and LISTEN re-issued; notifications sent while
   * it was down are lost, so `options.onStatus` hears `'restored'` to catch up from the data.
   */
  listen?(channel: string, fn: (payload: string) => void, options?: StoreListenOptions): Promise<() => Promise<void>>;
  /** Sends a notification on a channel (PostgreSQL NOTIFY). */
  notify?(channel: string, payload: string): Promise<void>;
  /** Releases connections and locks. Further calls fail with `STORE_CLOSED`. */
  close(): Promise<void>;
}
