import { MlopsError, type MlopsErrorCode } from '@mlops/core';
import { errorBodySchema, type HttpErrorCode, httpStatusOf, TRANSPORT_ERROR_CODES } from '@mlops/core/http';
import { z } from 'zod';
import { hasGateFunction } from '../gates/describe.js';
import { profileEnvelopeSchema } from '../profile.js';
import {
  aliasHistoryEntrySchema,
  aliasSchema,
  auditEntrySchema,
  decisionSchema,
  modelVersionSchema,
  pageSchema,
  promotionResultSchema,
  registeredModelSchema,
  registryEventSchema,
  rollbackResultSchema,
} from '../records.js';
import type { Registry, RegistryEvent, SubscribeFilter, Unsubscribe } from '../types.js';
import { createSseParser } from './sse.js';

/** Options of {@link registryClient}. */
export interface RegistryClientOptions {
  /**
   * API key sent as `Authorization: Bearer <key>`.
   * @default undefined (no credentials: for servers with auth off)
   */
  apiKey?: string;
  /**
   * The fetch implementation.
   * @default globalThis.fetch
   */
  fetch?: typeof fetch;
  /**
   * Extra headers on every request.
   * @default {}
   */
  headers?: Record<string, string>;
  /**
   * Delay before an event stream that dropped is reopened, in milliseconds.
   * @default 1000
   */
  reconnectMs?: number;
}

/**
 * The `MlopsError` code a client throws for an error body's code: core's codes as they are; the codes only a server
 * answers (core's `TransportErrorCode`) as `INVALID_INPUT` when they are client errors (413, 415, 405) and
 * `UPSTREAM_ERROR` otherwise (an overloaded or stopping server).
 */
function clientCodeOf(code: HttpErrorCode): MlopsErrorCode {
  if (!(TRANSPORT_ERROR_CODES as readonly string[]).includes(code)) return code as MlopsErrorCode;
  return httpStatusOf(code) < 500 ? 'INVALID_INPUT' : 'UPSTREAM_ERROR';
}

type Query = Record<string, unknown>;

function queryString(q: Query | undefined): string {
  if (!q) return '';
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined) continue;
    if (k === 'tags' && typeof v === 'object' && v !== null) {
      for (const [tk, tv] of Object.entries(v)) params.append(`tag.${tk}`, String(tv));
    } else params.append(k, String(v));
  }
  const s = params.toString();
  return s ? `?${s}` : '';
}

const seg = (v: unknown) => encodeURIComponent(String(v));

/**
 * A {@link Registry} over HTTP, talking to a server that mounts `createRegistryRouter` at `url`. Same methods, same
 * records, same `MlopsError` codes as in-process. Gates must be declarative JSON: a gate holding a function is
 * refused here with `UNSUPPORTED` before anything is sent. `subscribe` opens a server-sent event stream.
 *
 * @example
 * const registry = registryClient('http://127.0.0.1:3000/registry', { apiKey: process.env.MLOPS_API_KEY });
 * const prod = await registry.resolve({ model: 'churn', alias: 'production' });
 */
export function registryClient(url: string, options: RegistryClientOptions = {}): Registry {
  const base = url.replace(/\/+$/, '');
  const doFetch = options.fetch ?? globalThis.fetch;
  const reconnectMs = options.reconnectMs ?? 1000;
  const streams = new Set<AbortController>();
  const headers = (extra: Record<string, string> = {}) => ({
    ...options.headers,
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...extra,
  });

  async function fail(res: Response): Promise<never> {
    const text = await res.text().catch(() => '');
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    // Core's one error body: `{ error: { code, message, details, requestId } }`.
    const parsed = errorBodySchema.safeParse(body);
    if (parsed.success) {
      const { code, message, details, context } = parsed.data.error;
      // Field issues, else the structured context (a promotion's `{ decision }`): the details an in-process call has.
      const d = details.length > 0 ? details : context;
      throw new MlopsError(clientCodeOf(code), { message, ...(d === undefined ? {} : { details: d }) });
    }
    throw new MlopsError('INTERNAL', {
      message: `Registry server answered ${res.status} ${res.statusText} without an error body`,
      details: { status: res.status },
    });
  }

  async function call<S extends z.ZodType>(
    method: string,
    path: string,
    schema: S | null,
    init: { body?: unknown; query?: Query } = {},
  ): Promise<z.output<S>> {
    let res: Response;
    try {
      res = await doFetch(`${base}${path}${queryString(init.query)}`, {
        method,
        headers: headers(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      });
    } catch (cause) {
      throw new MlopsError('INTERNAL', {
        message: `Could not reach the registry at ${base}: ${(cause as Error).message}`,
        cause,
      });
    }
    if (!res.ok) return fail(res);
    if (schema === null || res.status === 204) {
      await res.arrayBuffer().catch(() => undefined);
      return undefined as z.output<S>;
    }
    const json: unknown = await res.json();
    const parsed = schema.safeParse(json);
    if (!parsed.success) {
      throw new MlopsError('INTERNAL', {
        message: `Unexpected response from ${method} ${path}: ${parsed.error.issues[0]?.message}`,
        cause: parsed.error,
      });
    }
    return parsed.data;
  }

  /** Splits an input into URL parts and body, dropping the URL keys from the body. */
  const omit = <T extends object, K extends keyof T>(o: T, ...keys: K[]) => {
    const out = { ...o };
    for (const k of keys) delete out[k];
    return out as Omit<T, K>;
  };

  const modelPage = pageSchema(registeredModelSchema);
  const versionPage = pageSchema(modelVersionSchema);

  async function openStream(
    filter: SubscribeFilter,
    controller: AbortController,
  ): Promise<ReadableStreamDefaultReader<Uint8Array>> {
    const res = await doFetch(`${base}/events${queryString({ model: filter.model })}`, {
      headers: headers({ accept: 'text/event-stream' }),
      signal: controller.signal,
    });
    if (!res.ok) return fail(res);
    if (!res.body) throw new MlopsError('INTERNAL', { message: 'The event stream has no body' });
    return res.body.getReader();
  }

  async function pump(
    reader: ReadableStreamDefaultReader<Uint8Array>,
    fn: (event: RegistryEvent) => void,
  ): Promise<void> {
    const decoder = new TextDecoder();
    const feed = createSseParser((msg) => {
      if (msg.event !== 'change') return;
      let data: unknown;
      try {
        data = JSON.parse(msg.data);
      } catch {
        return;
      }
      const r = registryEventSchema.safeParse(data);
      if (!r.success) return;
      try {
        fn(r.data);
      } catch {
        // A failing subscriber must not end the stream.
      }
    });
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      feed(decoder.decode(value, { stream: true }));
    }
  }

  return {
    createModel: (input) => call('POST', '/models', registeredModelSchema, { body: input }),
    getModel: (name) => call('GET', `/models/${seg(name)}`, registeredModelSchema),
    listModels: (input = {}) => call('GET', '/models', modelPage, { query: input }),
    updateModel: (input) =>
      call('PATCH', `/models/${seg(input.name)}`, registeredModelSchema, { body: omit(input, 'name') }),
    deleteModel: async (input) => {
      await call('DELETE', `/models/${seg(input.name)}`, null, { body: omit(input, 'name') });
    },

    createVersion: (input) =>
      call('POST', `/models/${seg(input.model)}/versions`, modelVersionSchema, { body: omit(input, 'model') }),
    getVersion: (ref) => call('GET', `/models/${seg(ref.model)}/versions/${seg(ref.version)}`, modelVersionSchema),
    getProfile: async (ref) =>
      (
        await call(
          'GET',
          `/models/${seg(ref.model)}/versions/${seg(ref.version)}/profile`,
          z.object({ profile: profileEnvelopeSchema.nullable() }),
        )
      ).profile,
    listVersions: (input = {}) => call('GET', '/versions', versionPage, { query: input }),
    updateVersion: (input) =>
      call('PATCH', `/models/${seg(input.model)}/versions/${seg(input.version)}`, modelVersionSchema, {
        body: omit(input, 'model', 'version'),
      }),
    deleteVersion: async (input) => {
      await call('DELETE', `/models/${seg(input.model)}/versions/${seg(input.version)}`, null, {
        body: omit(input, 'model', 'version'),
      });
    },

    setAlias: (input) =>
      call('PUT', `/models/${seg(input.model)}/aliases/${seg(input.alias)}`, aliasSchema, {
        body: omit(input, 'model', 'alias'),
      }),
    deleteAlias: async (input) => {
      await call('DELETE', `/models/${seg(input.model)}/aliases/${seg(input.alias)}`, null, {
        body: omit(input, 'model', 'alias'),
      });
    },
    resolve: (ref) => call('GET', `/models/${seg(ref.model)}/aliases/${seg(ref.alias)}`, modelVersionSchema),
    listAliases: async (model) =>
      (await call('GET', `/models/${seg(model)}/aliases`, z.object({ items: z.array(aliasSchema) }))).items,
    aliasHistory: (input) =>
      call(
        'GET',
        input.alias === undefined
          ? `/models/${seg(input.model)}/history`
          : `/models/${seg(input.model)}/aliases/${seg(input.alias)}/history`,
        pageSchema(aliasHistoryEntrySchema),
        { query: { limit: input.limit, cursor: input.cursor } },
      ),

    async promote(input) {
      if (hasGateFunction(input.gate)) {
        throw new MlopsError('UNSUPPORTED', {
          message:
            'Custom gate functions run in-process only; over HTTP send a declarative gate ' +
            '({ metric, op, value }, { metric, notWorseThanIncumbentBy, direction }, { all | any: [...] }, { not })',
          details: [{ path: 'gate', message: 'holds a function' }],
        });
      }
      return call('POST', `/models/${seg(input.model)}/aliases/${seg(input.alias)}/promote`, promotionResultSchema, {
        body: omit(input, 'model', 'alias'),
      });
    },
    rollback: (input) =>
      call('POST', `/models/${seg(input.model)}/aliases/${seg(input.alias)}/rollback`, rollbackResultSchema, {
        body: omit(input, 'model', 'alias'),
      }),
    listDecisions: (input) =>
      call('GET', `/models/${seg(input.model)}/decisions`, pageSchema(decisionSchema), {
        query: omit(input, 'model'),
      }),

    listAudit: (input = {}) => call('GET', '/audit', pageSchema(auditEntrySchema), { query: input }),

    async subscribe(fn, filter = {}) {
      const controller = new AbortController();
      // Resolves once the server has subscribed (it answers only then), so no later change is missed.
      const first = await openStream(filter, controller);
      streams.add(controller);
      void (async () => {
        let reader: ReadableStreamDefaultReader<Uint8Array> | undefined = first;
        while (!controller.signal.aborted) {
          try {
            reader ??= await openStream(filter, controller);
            await pump(reader, fn);
          } catch {
            // Dropped or refused: retry below unless unsubscribed.
          }
          reader = undefined;
          if (controller.signal.aborted) break;
          await new Promise((r) => setTimeout(r, reconnectMs).unref());
        }
      })();
      const unsubscribe: Unsubscribe = async () => {
        streams.delete(controller);
        controller.abort();
      };
      return unsubscribe;
    },

    async close() {
      for (const c of streams) c.abort();
      streams.clear();
    },
  };
}
