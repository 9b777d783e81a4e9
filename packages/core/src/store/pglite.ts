import { mkdirSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { isMlopsError, MlopsError } from '../errors.js';
import { invalidInput } from '../validation.js';
import { openPgliteThread, type PgliteBackend } from './_pglite-thread.js';
import { INT8_OID, linkToRoot, parseInt8, quoteIdent } from './_shared.js';
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
  /**
   * Where PGlite runs. `'worker'`: in a worker thread of its own, so its WebAssembly never holds the calling thread's
   * event loop (what a server wants: the prediction log's INSERTs, a report's queries and migrations run beside the
   * requests, on another core); each statement then costs a message each way (about 30 µs of latency, measured in
   * `bench/store-thread.bench.mjs`). `'main'`: in the calling thread, the lowest latency per statement.
   * @default 'main'
   */
  thread?: 'main' | 'worker';
}

/** The real path of a data directory (symlinks resolved), or of its parent when it does not exist yet. */
function realDir(dataDir: string): string {
  try {
    return realpathSync(dataDir);
  } catch {
    return join(realpathSync(dirname(dataDir)), basename(dataDir));
  }
}

/** What went wrong, in words: PGlite's file system errors carry an `errno` and no message. */
function causeText(cause: unknown): string {
  const c = cause as { message?: unknown; errno?: unknown } | null;
  if (typeof c?.message === 'string' && c.message !== '') return c.message;
  if (typeof c?.errno === 'number') return `file system error (errno ${c.errno})`;
  return String(cause);
}

/** `shared_buffers` of an in-memory store. */
const MEMORY_SHARED_BUFFERS = '16MB';

/** PGlite in the calling thread. */
async function openPgliteHere(
  dataDir: string | undefined,
  sharedBuffers: string | undefined,
): Promise<PgliteBackend<Transaction>> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db: PGlite = await PGlite.create(dataDir, {
    parsers: { [INT8_OID]: parseInt8 },
    ...(sharedBuffers !== undefined ? { postgresqlconf: `shared_buffers=${sharedBuffers}` } : {}),
  });
  return {
    async query<T>(sql: string, params: unknown[] | undefined, tx: Transaction | undefined) {
      return (await (tx ?? db).query<T>(sql, params)).rows;
    },
    async exec(sql: string, tx: Transaction | undefined) {
      await (tx ?? db).exec(sql);
    },
    transaction: (fn) => db.transaction(fn),
    listen: (channel, fn) => db.listen(channel, fn),
    close: () => db.close(),
  };
}

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
    // The lock is named after the directory's real path: two openers reaching one directory through a symlink (to
    // it or to a parent) must meet at one lock file, or both would run PostgreSQL on the same files.
    const lockFile = `${realDir(dataDir)}.lock`;
    try {
      release = await acquireLock(lockFile, `Store ${displayUrl}`);
    } catch (cause) {
      if (isMlopsError(cause)) throw cause;
      // the file system refused (a directory where the lock file goes, no permission, a full or read-only disk)
      throw new MlopsError('INTERNAL', {
        message: `Could not lock ${displayUrl} (${lockFile}): ${causeText(cause)}`,
        cause,
        details: { lockFile },
      });
    }
  }
  const inWorker = (options.thread ?? 'main') === 'worker';
  let backend: PgliteBackend<unknown>;
  try {
    backend = inWorker
      ? ((await openPgliteThread(dataDir, sharedBuffers)) as PgliteBackend<unknown>)
      : ((await openPgliteHere(dataDir, sharedBuffers)) as PgliteBackend<unknown>);
  } catch (cause) {
    release?.();
    throw new MlopsError('INTERNAL', { message: `Could not open ${displayUrl}: ${causeText(cause)}`, cause });
  }
  let closed = false;
  let closing: Promise<void> | undefined;
  const assertOpen = () => {
    if (closed) throw new MlopsError('STORE_CLOSED', `Store ${displayUrl} is closed`);
  };

  /** `state.ended` is set on a transaction's store once its transaction is over. */
  const make = (tx: unknown, state?: { ended: boolean }): Store => {
    const check = () => {
      assertOpen();
      if (state?.ended) {
        throw new MlopsError('STORE_CLOSED', {
          message: `The transaction this store belongs to has ended (${displayUrl}); use the store it came from`,
        });
      }
    };
    const store: Store = {
      driver: 'pglite',
      url: displayUrl,
      blocksEventLoop: !inWorker,
      async query<T>(sql: string, params?: unknown[]) {
        check();
        return backend.query<T>(sql, params, tx);
      },
      async exec(sql: string) {
        check();
        await backend.exec(sql, tx);
      },
      async transaction<T>(fn: (tx: Store) => Promise<T>) {
        check();
        if (tx !== undefined) return fn(store);
        const inner = { ended: false };
        try {
          return await backend.transaction((handle) => fn(linkToRoot(make(handle, inner), root)));
        } finally {
          inner.ended = true;
        }
      },
      migrate(namespace: string, migrations: readonly Migration[]) {
        return runMigrations(store, namespace, migrations);
      },
      async listen(channel: string, fn: (payload: string) => void) {
        check();
        // PGlite writes `LISTEN ${channel}` as given: quoted here, so the channel is its literal name (capitals and
        // all, as pg_notify and PostgreSQL's store use it) and never SQL. PGlite cannot match a name holding `"`.
        if (channel.includes('"')) {
          throw invalidInput('listen', [{ path: 'channel', message: 'a PGlite channel name cannot contain `"`' }]);
        }
        const unlisten = await backend.listen(quoteIdent(channel), fn);
        return async () => {
          if (!closed) await unlisten();
        };
      },
      async notify(channel: string, payload: string) {
        check();
        await backend.query('SELECT pg_notify($1, $2)', [channel, payload], tx);
      },
      close() {
        // every call answers once the store is closed and its lock released, so the directory can be reopened
        closing ??= (async () => {
          closed = true;
          try {
            await backend.close();
          } finally {
            release?.();
          }
        })();
        return closing;
      },
    };
    return store;
  };
  const root = make(undefined);
  return root;
}
