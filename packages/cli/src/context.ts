import {
  type CreateStoreOptions,
  createStore,
  DEFAULT_STORE_URL,
  MlopsError,
  type ObjectStore,
  type Store,
} from '@mlops/core';
import { DEFAULT_OBJECTS_URL, objectStoreFromUrl, parseObjectStoreUrl } from '@mlops/core/objects';
import { createTracker, type Tracker } from '@mlops/core/tracking';
import { createRegistry, type Registry, registryClient } from '@mlops/registry';
import { type ResolveRemoteOptions, resolveRemote } from './remote.js';

/** The global options every command takes. */
export interface GlobalOptions {
  /**
   * Store URL (`pglite://<dir>`, `memory://`, `postgres://…`).
   * @default MLOPS_STORE, else pglite://.mlops/db
   */
  store?: string;
  /**
   * A running mlops server: `models` commands then go over HTTP instead of opening the store.
   * @default MLOPS_SERVER_URL
   */
  server?: string;
  /**
   * API key for `server`.
   * @default MLOPS_API_KEY
   */
  apiKey?: string;
  /**
   * Object store URL: a folder, `file://…` or `s3://bucket/prefix?endpoint=…&region=…&forcePathStyle=true`
   * (`parseObjectStoreUrl` of `@mlops/core/objects`; `s3://` needs `@mlops/plugin-s3`).
   * @default MLOPS_OBJECTS, else .mlops/objects
   */
  objects?: string;
  /**
   * Machine-readable output.
   * @default false
   */
  json?: boolean;
}

/** What commands use: resources opened on first use and closed once at the end. */
export interface CliContext {
  /** The working directory paths resolve against. */
  readonly cwd: string;
  /** The store URL in effect. */
  readonly storeUrl: string;
  /** The registry base URL in effect, when `--server` / `MLOPS_SERVER_URL` is set. */
  readonly serverUrl: string | undefined;
  /**
   * Opens the store (once: the options of the first call apply). A long-running server passes
   * `{ pgliteThread: 'worker' }` so an embedded store's SQL runs beside the requests (an explicit `?thread=` in the
   * URL still wins).
   */
  store(options?: CreateStoreOptions): Promise<Store>;
  /** The URL of the object store in effect (`--objects`, `MLOPS_OBJECTS`, else `.mlops/objects`). */
  readonly objectsUrl: string;
  /**
   * The object store named by `objectsUrl` (opened once; a plugin store such as `s3://` is loaded on first use). A bad
   * URL throws `INVALID_INPUT` here.
   */
  objects(): ObjectStore;
  /**
   * The registry: over HTTP with `--server`, else in-process on the store. On PostgreSQL its writes NOTIFY other
   * processes (so `mlops models promote` reaches running servers at once, not at their next audit-log poll), and a
   * long-running `mlops serve` subscribes to theirs; `events: false` (first call only) turns both off.
   */
  registry(options?: { events?: boolean }): Promise<Registry>;
  /** The experiment tracker on the store. */
  tracker(): Promise<Tracker>;
  /** The remote named by `spec` or `MLOPS_REMOTE`; `INVALID_INPUT` when neither is set. */
  remote(spec: string | undefined): Promise<ObjectStore>;
  /** Like `remote`, but `undefined` when neither `spec` nor `MLOPS_REMOTE` is set. */
  optionalRemote(spec: string | undefined): Promise<ObjectStore | undefined>;
  /** Closes whatever was opened. */
  close(): Promise<void>;
}

/** Options of {@link createCliContext}. */
export interface CliContextOptions extends GlobalOptions {
  /**
   * Working directory.
   * @default process.cwd()
   */
  cwd?: string;
  /**
   * Environment variables (`MLOPS_STORE`, `MLOPS_REMOTE`…).
   * @default process.env
   */
  env?: NodeJS.ProcessEnv;
  /**
   * How plugin modules (remotes) are loaded.
   * @default dynamic import
   */
  importModule?: ResolveRemoteOptions['importModule'];
}

/**
 * The registry base URL of a server: a bare origin (`http://127.0.0.1:8080` or with a trailing `/`) gets the
 * `/registry` path where `mlops serve` mounts the registry router; any other path is taken as the registry's base.
 */
export function registryBaseUrl(server: string): string {
  let url: URL;
  try {
    url = new URL(server);
  } catch (cause) {
    throw new MlopsError('INVALID_URL', {
      message: `Invalid server URL "${server}": expected http(s)://host:port`,
      details: [{ path: 'server', message: 'not a URL' }],
      cause,
    });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new MlopsError('INVALID_URL', {
      message: `Invalid server URL "${server}": expected http:// or https://`,
      details: [{ path: 'server', message: `unsupported protocol ${url.protocol}` }],
    });
  }
  const base = server.replace(/\/+$/, '');
  return url.pathname === '/' || url.pathname === '' ? `${base}/registry` : base;
}

/** Creates the lazy {@link CliContext} of one invocation: nothing is opened until a command asks for it. */
export function createCliContext(options: CliContextOptions = {}): CliContext {
  const cwd = options.cwd ?? process.cwd();
  const env = options.env ?? process.env;
  const storeUrl = options.store || env.MLOPS_STORE || DEFAULT_STORE_URL;
  const server = options.server || env.MLOPS_SERVER_URL || undefined;
  const serverUrl = server ? registryBaseUrl(server) : undefined;
  const apiKey = options.apiKey || env.MLOPS_API_KEY || undefined;
  const objectsUrl = options.objects || env.MLOPS_OBJECTS || DEFAULT_OBJECTS_URL;
  // A malformed URL is refused before any command runs (INVALID_INPUT naming the part, exit 2), also by commands that
  // would not have opened the object store; the store itself is still opened on first use.
  parseObjectStoreUrl(objectsUrl);
  let store: Promise<Store> | undefined;
  let objects: ObjectStore | undefined;
  let registry: Promise<Registry> | undefined;
  let tracker: Promise<Tracker> | undefined;

  const ctx: CliContext = {
    cwd,
    storeUrl,
    serverUrl,
    objectsUrl,
    store(storeOptions) {
      store ??= createStore(storeUrl, storeOptions);
      return store;
    },
    objects() {
      objects ??= objectStoreFromUrl(objectsUrl, {
        cwd,
        ...(options.importModule ? { importModule: options.importModule } : {}),
      });
      return objects;
    },
    registry(opts = {}) {
      registry ??= serverUrl
        ? Promise.resolve(registryClient(serverUrl, apiKey ? { apiKey } : {}))
        : ctx.store().then((s) => createRegistry({ store: s, events: opts.events ?? true }));
      return registry;
    },
    tracker() {
      tracker ??= ctx.store().then((s) => createTracker({ store: s, objects: ctx.objects(), cwd }));
      return tracker;
    },
    remote(spec) {
      const value = spec || env.MLOPS_REMOTE;
      if (!value) {
        return Promise.reject(
          new MlopsError('INVALID_INPUT', {
            message: 'No remote: pass --remote <folder | s3://bucket/prefix> or set MLOPS_REMOTE',
            details: [{ path: 'remote', message: 'Required' }],
          }),
        );
      }
      return resolveRemote(value, { cwd, ...(options.importModule ? { importModule: options.importModule } : {}) });
    },
    optionalRemote(spec) {
      return spec || env.MLOPS_REMOTE ? ctx.remote(spec) : Promise.resolve(undefined);
    },
    async close() {
      const r = registry;
      const s = store;
      registry = undefined;
      store = undefined;
      tracker = undefined;
      if (r) await (await r.catch(() => undefined))?.close();
      if (s) await (await s.catch(() => undefined))?.close();
    },
  };
  return ctx;
}
