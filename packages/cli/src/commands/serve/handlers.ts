import { once } from 'node:events';
import { MlopsError } from '@mlops/core';
import type { PredictionLogInputs } from '@mlops/core/predictions';
import { createDashboard, type Dashboard } from '@mlops/dashboard';
import { createRegistryRouter } from '@mlops/registry';
import { type AuthMode, createModelServer, type RetentionOptions } from '@mlops/serve';
import type { CliContext } from '../../context.js';
import type { Output } from '../../output.js';
import { type ImportModule, loadFlavors } from '../../plugins.js';

/** Options of {@link serveCommand}. */
export interface ServeCommandOptions {
  /** Registered models to serve (each under its own name). */
  models: string[];
  /**
   * The alias each model follows (hot-swapped when it moves).
   * @default 'production'
   */
  alias?: string;
  /**
   * Port; 0 picks a free one.
   * @default 8080
   */
  port?: number;
  /**
   * Address to bind; auth is required on anything but loopback unless `auth` is `disabled`.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * API-key authentication mode.
   * @default 'auto'
   */
  auth?: AuthMode;
  /**
   * Extra flavor modules (`<module>[#export]`) besides the installed plugins.
   * @default []
   */
  flavor?: string[];
  /**
   * Mount the registry REST API at `/registry` (what `mlops --server` talks to).
   * @default true
   */
  registryApi?: boolean;
  /**
   * Mount the web dashboard (`@mlops/dashboard`) at `/ui` in the serving process, so one process owns an embedded
   * store and serves both.
   * @default false
   */
  ui?: boolean;
  /**
   * Retention of the prediction log (pruned in batches on a timer while serving).
   * @default undefined (kept forever)
   */
  retention?: RetentionOptions;
  /**
   * What the prediction log keeps of each prediction's inputs (`redacted`: keys and types; `none`: nothing).
   * @default 'full'
   */
  logInputs?: PredictionLogInputs;
  /**
   * Loads plugin modules (tests pass a fake).
   * @default dynamic import
   */
  importModule?: ImportModule;
  /**
   * Resolves once the server listens, with its URL (tests use it to stop the server).
   * @default undefined
   */
  onListening?: (info: { url: string; close: () => Promise<void> }) => void;
}

/**
 * `mlops serve`: serves registry aliases with `@mlops/serve` (predict endpoints, OIP v2, /metrics, /docs, prediction
 * log) and mounts the registry API at `/registry`, so other processes can promote and roll back with
 * `mlops --server <url>` while this process owns an embedded store. Runs until SIGTERM/SIGINT, then drains.
 */
export async function serveCommand(opts: ServeCommandOptions, ctx: CliContext, out: Output): Promise<void> {
  if (opts.models.length === 0) {
    throw new MlopsError('INVALID_INPUT', {
      message: 'Name at least one model to serve',
      details: [{ path: 'models', message: 'Required' }],
    });
  }
  const alias = opts.alias ?? 'production';
  const host = opts.host ?? '127.0.0.1';
  const flavors = await loadFlavors(opts.flavor ?? [], {
    cwd: ctx.cwd,
    ...(opts.importModule ? { importModule: opts.importModule } : {}),
  });
  if (flavors.length === 0) {
    throw new MlopsError('NOT_CONFIGURED', {
      message:
        'No model flavor available: install @mlops/plugin-onnx, @mlops/plugin-random-forest or @mlops/plugin-linear, or pass --flavor <module>',
      details: { flavors: [] },
    });
  }
  // A server: an embedded store's SQL (the prediction log, the monitors' queries) runs on a thread of its own.
  const store = await ctx.store({ pgliteThread: 'worker' });
  const registry = await ctx.registry({ events: true });
  const objects = ctx.objects();
  const server = createModelServer({
    models: opts.models.map((name) => ({ name, registry, alias, objects, flavors })),
    store,
    host,
    ...(opts.auth ? { auth: opts.auth } : {}),
    ...(opts.retention ? { retention: opts.retention } : {}),
    ...(opts.logInputs ? { logging: { inputs: opts.logInputs } } : {}),
    onWarning: (m) => out.note(`warning: ${m}`),
    // A model that cannot be loaded at start (no such model or alias, a damaged package) is what `server.ready()`
    // rejects with, and the command prints it once as its error (`error: … [NOT_FOUND]`, exit 3): the server's
    // default report of it (a stack trace on the console) would only repeat it. Faults while serving keep it.
    onError: (err, context) => {
      if (context.where !== 'loading models') console.error('[mlops] serve error', context, err);
    },
  });
  // The dashboard in the same process: the same store (and its API keys), the same registry, auth decided from the
  // same addresses.
  const dashboard: Dashboard | undefined = opts.ui
    ? createDashboard({
        store,
        registry,
        objects,
        host,
        ...(opts.auth ? { auth: opts.auth } : {}),
        onWarning: (m) => out.note(`warning: ${m}`),
      })
    : undefined;
  if (dashboard) server.mount('/ui', dashboard.router);
  if (opts.registryApi !== false && !ctx.serverUrl) {
    server.mount(
      '/registry',
      createRegistryRouter({
        registry,
        ...(server.authEnabled ? { authenticate: (req, scope) => server.authenticate(req, scope) } : {}),
      }),
    );
  }
  try {
    await server.ready();
  } catch (err) {
    await server.close();
    await dashboard?.close();
    throw err;
  }
  const listening = await server.listen({ port: opts.port ?? 8080, host });
  const versions = await Promise.all(
    opts.models.map(async (model) => ({ model, alias, version: (await registry.resolve({ model, alias })).version })),
  );
  out.result(
    {
      url: listening.url,
      models: versions,
      registry: opts.registryApi !== false && !ctx.serverUrl ? `${listening.url}/registry` : null,
      auth: server.authEnabled,
      flavors: flavors.map((f) => f.name),
      ui: dashboard ? `${listening.url}/ui/` : null,
      retention: opts.retention ?? null,
    },
    () =>
      [
        `Serving at ${listening.url} (auth ${server.authEnabled ? 'on' : 'off'})`,
        ...versions.map(
          (v) => `  ${v.model}: ${v.alias} → v${v.version}   POST ${listening.url}/v1/models/${v.model}/predict`,
        ),
        `  docs: ${listening.url}/docs   metrics: ${listening.url}/metrics`,
        ...(dashboard ? [`  dashboard: ${listening.url}/ui/`] : []),
        ...(opts.registryApi !== false && !ctx.serverUrl
          ? [`  registry API: ${listening.url}/registry  (mlops --server ${listening.url} models …)`]
          : []),
        'Ctrl-C (SIGINT) or SIGTERM drains and stops.',
      ].join('\n'),
  );
  opts.onListening?.({ url: listening.url, close: () => listening.close() });
  if (listening.server.listening) await once(listening.server, 'close');
  await server.close(); // idempotent: waits for the drain and the prediction-log flush before the store closes
  await dashboard?.close();
}
