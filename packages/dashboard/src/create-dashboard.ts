import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FieldIssue, MlopsError, type ObjectStore, type Store } from '@mlops/core';
import { type ApiKeyScope, apiKeyPrincipal, verifyApiKey } from '@mlops/core/auth';
import {
  type AddressAuthMode,
  type AllowedHosts,
  apiKeyFromHeaders,
  apiKeyRequiredError,
  createAddressAuth,
  createAddressGuard,
  errorResponse,
} from '@mlops/core/http';
import { createTracker, type Tracker } from '@mlops/core/tracking';
import { createJsonBodyReader, createRegistry, type Registry, requestIdOf } from '@mlops/registry';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { z } from 'zod';
import { type AssetLoader, assetLoader } from './_internal/assets.js';
import { indexHtml } from './_internal/html.js';
import { loggedModels, monitoringSeries } from './monitoring.js';
import { compareRuns, listModels, listRuns, modelDetail, runDetail } from './queries.js';
import {
  artifactQuerySchema,
  auditQuerySchema,
  compareQuerySchema,
  modelParamsSchema,
  monitoringQuerySchema,
  promoteBodySchema,
  rollbackBodySchema,
  runParamsSchema,
  runsQuerySchema,
} from './schemas.js';

/**
 * How the dashboard authenticates, decided as `@mlops/serve` decides it (core's `createAddressAuth`): `auto` is off
 * while every address the dashboard is reached through is loopback, and required as soon as one is not; `required`
 * always; `disabled` never, with a loud warning per non-loopback address.
 */
export type DashboardAuthMode = AddressAuthMode;

/**
 * Checks an API key for a scope and returns the principal recorded in the audit log; throws `MlopsError`
 * `UNAUTHORIZED`/`FORBIDDEN`. `server.authenticate` of `@mlops/serve` and `apiKeyAuthenticator` of `@mlops/registry`
 * fit.
 */
export type DashboardAuthenticate = (request: { apiKey: string | undefined }, scope: ApiKeyScope) => Promise<string>;

/** Options of {@link createDashboard}. */
export interface DashboardOptions {
  /** The store holding runs, the registry, the prediction log and feedback. */
  store: Store;
  /**
   * The model registry.
   * @default createRegistry({ store, events: false }) (closed by `close()`)
   */
  registry?: Registry;
  /**
   * The experiment tracker.
   * @default createTracker({ store, objects })
   */
  tracker?: Tracker;
  /**
   * Where run artifacts are kept (artifact downloads); without it artifacts are listed but not downloadable.
   * @default undefined
   */
  objects?: ObjectStore;
  /**
   * The address the server will bind (what `listenDashboard` binds). A non-loopback one turns auth on from the start
   * (`auth: 'auto'`); either way auth follows the address each request actually arrives through (the socket's local
   * address, and the address its server is bound to), so `router` mounted on a public server needs keys whatever
   * this says.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * API-key authentication: reads need `registry:read`, promote and rollback `registry:write`. `auto`: off while
   * every address in use is loopback (then only loopback `Host` names are answered), required as soon as one is not.
   * @default 'auto'
   */
  auth?: DashboardAuthMode;
  /**
   * Host names a loopback dashboard without auth answers besides `localhost`, `127.0.0.1` and `[::1]` (any port),
   * which are the only ones it answers by default (403 otherwise, against DNS rebinding): exact names, a leading dot
   * for a domain and its subdomains, or `true` for any name. With auth on, `Host` is not checked.
   * @default []
   */
  allowedHosts?: AllowedHosts;
  /**
   * Verifies API keys when auth is on.
   * @default core's `verifyApiKey` on `store`
   */
  authenticate?: DashboardAuthenticate;
  /**
   * The page title.
   * @default 'mlops dashboard'
   */
  title?: string;
  /**
   * Folder holding the built front end (`app.js`, `app.css`).
   * @default the package's `dist/ui` (bundled on demand when running from the sources)
   */
  assetsDir?: string;
  /**
   * Most recent predictions the monitoring view reads per model.
   * @default 20000
   */
  monitoringLimit?: number;
  /**
   * Receives server faults (5xx); never client mistakes. `requestId` is the one the client got (`x-request-id` and
   * the error body's `error.requestId`) for the API's errors.
   * @default console.error
   */
  onError?: (err: unknown, context: { method: string; path: string; requestId?: string }) => void;
  /**
   * Receives warnings (auth disabled on a public host).
   * @default console.warn
   */
  onWarning?: (message: string) => void;
}

/** What {@link createDashboard} returns: an express router to mount, e.g. at `/ui`. */
export interface Dashboard {
  /** The router: the page at `/`, its assets under `/assets/`, the JSON API under `/api/`. */
  readonly router: Router;
  /**
   * True when requests need an API key: with `auth: 'auto'`, as soon as one address in use (`host`, or the address a
   * request arrived through) is not loopback; it never turns off again.
   */
  readonly authEnabled: boolean;
  /** Closes what the dashboard created (its registry), never the store. */
  close(): Promise<void>;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.output<S> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const details: FieldIssue[] = r.error.issues.map((i) => ({
    path: [where, ...i.path.map(String)].join('.'),
    message: i.message,
  }));
  throw new MlopsError('INVALID_INPUT', {
    message: `Invalid request: ${details.map((d) => `${d.path}: ${d.message}`).join('; ')}`,
    details,
  });
}

/**
 * Creates the web dashboard over a store: experiments and runs (filter, sort, compare with metric charts), registered
 * models (versions, aliases, gate decisions, audit log; promote and roll back), and monitoring (requests, latency,
 * drift per column, accuracy from feedback, retraining decisions). Returns an express router; mount it where you
 * like (`server.mount('/ui', dashboard.router)` in `@mlops/serve`, `app.use('/ui', dashboard.router)`).
 *
 * @example
 * const dashboard = createDashboard({ store });
 * app.use('/ui', dashboard.router);
 */
export function createDashboard(options: DashboardOptions): Dashboard {
  const { store } = options;
  const host = options.host ?? '127.0.0.1';
  const mode = options.auth ?? 'auto';
  const onError = options.onError ?? ((err, c) => console.error('[mlops] dashboard error', c, err));
  const onWarning = options.onWarning ?? ((m: string) => console.warn(m));
  // Auth follows the addresses in use, fail closed (one implementation with @mlops/serve): the host option now, and
  // the address of every request (the guard below). Keys can always be verified: `store` holds them.
  const auth = createAddressAuth({ mode, hasKeyStore: true, warn: onWarning, what: 'dashboard' });
  auth.use(host, 'the host option');
  const authenticate: DashboardAuthenticate =
    options.authenticate ??
    (async (req, scope) => {
      if (!req.apiKey) throw apiKeyRequiredError();
      return apiKeyPrincipal(await verifyApiKey({ store, key: req.apiKey, scope }));
    });
  const ownsRegistry = options.registry === undefined;
  let registryP: Promise<Registry> | undefined;
  const getRegistry = (): Promise<Registry> => {
    if (options.registry) return Promise.resolve(options.registry);
    registryP ??= createRegistry({ store, events: false }).catch((err) => {
      registryP = undefined;
      throw err;
    });
    return registryP;
  };
  const tracker = options.tracker ?? createTracker({ store, ...(options.objects ? { objects: options.objects } : {}) });
  const assets: AssetLoader = assetLoader(options.assetsDir);
  const monitoringLimit = options.monitoringLimit ?? 20_000;
  const title = options.title ?? 'mlops dashboard';

  const router = express.Router();
  // Every request: the address it arrived through turns auth on off loopback; on loopback without auth, only
  // loopback Host names (and allowedHosts) are answered, against DNS rebinding.
  router.use(
    createAddressGuard({
      auth,
      what: 'dashboard',
      ...(options.allowedHosts !== undefined ? { allowedHosts: options.allowedHosts } : {}),
    }),
  );
  type Handler = (req: Request, res: Response, principal: string | undefined) => Promise<unknown>;
  const api = (scope: 'registry:read' | 'registry:write', fn: Handler) => async (req: Request, res: Response) => {
    const principal = auth.enabled ? await authenticate({ apiKey: apiKeyFromHeaders(req.headers) }, scope) : undefined;
    const out = await fn(req, res, principal);
    if (!res.headersSent) res.json(out);
  };
  // Writes come from the page's own script. In this order: authenticate; when the browser says where the request
  // comes from, the same origin; then JSON only (415 otherwise: a cross-site form or text/plain "simple request" is
  // sent without a CORS preflight, JSON is not, and a preflight is never answered) with a Content-Length over 100 kb
  // a 413 before anything is read; then read the body (the registry router's reader).
  const readBody = createJsonBodyReader({ maxBodyBytes: 100 * 1024 });
  const write = (fn: Handler) =>
    api('registry:write', async (req, res, principal) => {
      sameOrigin(req);
      await readBody(req, res);
      return fn(req, res, principal);
    });
  const sameOrigin = (req: Request): void => {
    const origin = req.headers.origin;
    if (typeof origin === 'string' && origin !== 'null') {
      let originHost: string | undefined;
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = undefined;
      }
      if (originHost !== req.headers.host) {
        throw new MlopsError('FORBIDDEN', `Cross-origin write refused (Origin ${origin.slice(0, 200)})`);
      }
    }
  };

  router.get('/', (req, res) => {
    // Relative asset URLs need the trailing slash (`/ui` → `/ui/`).
    const path = req.originalUrl.split('?')[0]!;
    if (!path.endsWith('/')) {
      res.redirect(308, `${path}/${req.originalUrl.slice(path.length)}`);
      return;
    }
    res.setHeader(
      'content-security-policy',
      "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'",
    );
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-cache');
    res.type('html').send(indexHtml({ title, authEnabled: auth.enabled }));
  });
  router.get('/assets/:file', async (req, res) => {
    const file = String(req.params.file);
    let files: Map<string, Uint8Array>;
    try {
      files = await assets();
    } catch (err) {
      onError(err, { method: req.method, path: req.originalUrl });
      res
        .status(503)
        .type('text')
        .send(err instanceof Error ? err.message : 'The front end is not available');
      return;
    }
    const body = files.get(file);
    if (!body) {
      res.status(404).type('text').send('Not found');
      return;
    }
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('cache-control', 'no-cache');
    res.type(file.endsWith('.css') ? 'text/css' : 'text/javascript').send(Buffer.from(body));
  });

  router.get(
    '/api/info',
    api('registry:read', async (_req, _res, principal) => ({
      title,
      authEnabled: auth.enabled,
      principal: principal ?? null,
    })),
  );
  router.get(
    '/api/experiments',
    api('registry:read', async () => ({ experiments: await tracker.listExperiments() })),
  );
  router.get(
    '/api/runs',
    api('registry:read', async (req) => listRuns(tracker, parse(runsQuerySchema, { ...req.query }, 'query'))),
  );
  router.get(
    '/api/runs/:id',
    api('registry:read', async (req) => runDetail(tracker, parse(runParamsSchema, { ...req.params }, 'params').id)),
  );
  router.get(
    '/api/runs/:id/artifact',
    api('registry:read', async (req, res) => {
      const { id } = parse(runParamsSchema, { ...req.params }, 'params');
      const { name } = parse(artifactQuerySchema, { ...req.query }, 'query');
      if (!options.objects) {
        throw new MlopsError('NOT_FOUND', {
          message: 'Artifacts cannot be downloaded: the dashboard has no object store',
          details: [{ path: 'query.name', message: 'no object store configured' }],
        });
      }
      const body = await tracker.readArtifact(id, name);
      res.setHeader('content-disposition', `attachment; filename="${name.split('/').pop()!.replace(/["\\]/g, '_')}"`);
      res.type('application/octet-stream').send(body);
      return undefined;
    }),
  );
  router.get(
    '/api/compare',
    api('registry:read', async (req) => compareRuns(tracker, parse(compareQuerySchema, { ...req.query }, 'query').ids)),
  );
  router.get(
    '/api/models',
    api('registry:read', async () => ({ models: await listModels(await getRegistry()) })),
  );
  router.get(
    '/api/models/:name',
    api('registry:read', async (req) =>
      modelDetail(await getRegistry(), parse(modelParamsSchema, { ...req.params }, 'params').name),
    ),
  );
  router.post(
    '/api/models/:name/promote',
    write(async (req, _res, principal) => {
      const { name } = parse(modelParamsSchema, { ...req.params }, 'params');
      const body = parse(promoteBodySchema, req.body ?? {}, 'body');
      return (await getRegistry()).promote({
        model: name,
        alias: body.alias,
        version: body.version,
        ...(body.expectedIncumbent !== undefined ? { expectedIncumbent: body.expectedIncumbent } : {}),
        reason: body.reason ?? 'promoted from the dashboard',
        ...(principal ? { principal } : {}),
      });
    }),
  );
  router.post(
    '/api/models/:name/rollback',
    write(async (req, _res, principal) => {
      const { name } = parse(modelParamsSchema, { ...req.params }, 'params');
      const body = parse(rollbackBodySchema, req.body ?? {}, 'body');
      return (await getRegistry()).rollback({
        model: name,
        alias: body.alias,
        reason: body.reason ?? 'rolled back from the dashboard',
        ...(principal ? { principal } : {}),
      });
    }),
  );
  router.get(
    '/api/audit',
    api('registry:read', async (req) => {
      const q = parse(auditQuerySchema, { ...req.query }, 'query');
      return {
        items: (await (await getRegistry()).listAudit({ ...(q.model ? { model: q.model } : {}), limit: q.limit }))
          .items,
      };
    }),
  );
  router.get(
    '/api/monitoring/models',
    api('registry:read', async () => ({ models: await loggedModels(store) })),
  );
  router.get(
    '/api/monitoring',
    api('registry:read', async (req) => {
      const q = parse(monitoringQuerySchema, { ...req.query }, 'query');
      return monitoringSeries({
        store,
        registry: await getRegistry(),
        model: q.model,
        ...(q.from !== undefined ? { from: new Date(q.from) } : {}),
        ...(q.to !== undefined ? { to: new Date(q.to) } : {}),
        buckets: q.buckets,
        minSamples: q.minSamples,
        limit: monitoringLimit,
      });
    }),
  );
  router.use('/api', (req) => {
    throw new MlopsError('NOT_FOUND', {
      message: `No route ${req.method} ${req.path.slice(0, 200)}`,
      details: [{ path: '(path)', message: 'Unknown route' }],
    });
  });
  router.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const requestId = requestIdOf(req, res);
    // Core's one error contract: `{ error: { code, message, details, requestId } }`, status from `httpStatusOf`.
    const { status, body, unexpected } = errorResponse(err, requestId);
    if (unexpected) {
      onError(err, { method: req.method, path: req.originalUrl.split('?')[0]!, requestId });
    }
    if (res.headersSent) {
      res.end();
      return;
    }
    // Answered before the body was read (401, 403, 415, 413): close the connection rather than read it.
    if (!req.complete) res.setHeader('connection', 'close');
    if (status === 401) res.setHeader('www-authenticate', 'Bearer');
    res.status(status).json(body);
  });

  let closed: Promise<void> | undefined;
  return {
    router,
    get authEnabled() {
      return auth.enabled;
    },
    close() {
      closed ??= ownsRegistry && registryP ? registryP.then((r) => r.close()).catch(() => {}) : Promise.resolve();
      return closed;
    },
  };
}

/** Options of {@link listenDashboard}. */
export interface ListenDashboardOptions extends DashboardOptions {
  /**
   * Port; 0 picks a free one.
   * @default 8090
   */
  port?: number;
  /**
   * Where the dashboard is mounted; `/` redirects there.
   * @default '/ui'
   */
  basePath?: string;
}

/** A listening dashboard from {@link listenDashboard}. */
export interface ListeningDashboard {
  /** The page's URL, e.g. `http://127.0.0.1:8090/ui/`. */
  url: string;
  /** The Node HTTP server. */
  server: Server;
  /** The dashboard (its router and auth state). */
  dashboard: Dashboard;
  /** Stops listening, closes open connections and the dashboard (never the store). Idempotent. */
  close(): Promise<void>;
}

/**
 * Serves the dashboard alone (what `mlops ui` runs): an express app with the dashboard at `basePath`, listening on
 * `host:port` (127.0.0.1 by default).
 */
export async function listenDashboard(options: ListenDashboardOptions): Promise<ListeningDashboard> {
  const host = options.host ?? '127.0.0.1';
  const basePath = `/${(options.basePath ?? '/ui').replace(/^\/+|\/+$/g, '')}`;
  const dashboard = createDashboard({ ...options, host });
  const app = express();
  app.disable('x-powered-by');
  // No body parser here: the dashboard's writes read their body themselves, after authentication.
  app.get('/', (_req, res) => res.redirect(302, `${basePath === '/' ? '' : basePath}/`));
  app.use(basePath, dashboard.router);
  app.use((req) => {
    throw new MlopsError('NOT_FOUND', {
      message: `No route ${req.method} ${req.path.slice(0, 200)}`,
      details: [{ path: '(path)', message: 'Unknown route' }],
    });
  });
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const { status, body } = errorResponse(err, requestIdOf(req, res));
    if (res.headersSent) {
      res.end();
      return;
    }
    res.status(status).json(body);
  });
  const server = createServer(app);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 8090, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await dashboard.close();
    throw err;
  }
  const addr = server.address() as AddressInfo;
  const origin = `http://${addr.family === 'IPv6' ? `[${addr.address}]` : addr.address}:${addr.port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}${basePath === '/' ? '' : basePath}/`,
    server,
    dashboard,
    close() {
      closing ??= (async () => {
        const done = new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
        await done;
        await dashboard.close();
      })();
      return closing;
    },
  };
}
