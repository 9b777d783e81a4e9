import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { errorBodySchema as coreErrorBodySchema } from '@mlops/core/http';
import { z } from 'zod';
import type { OpenApiContext, OpenApiOperation, ServerRoute } from './routes/server-route.js';

/**
 * The error body of the `/v1` and extension routes: core's one contract (`errorBodySchema` of `@mlops/core/http`),
 * `{ error: { code, message, details, requestId } }` (internal re-export).
 */
export const errorBodySchema = coreErrorBodySchema;

/** The error body of the Open Inference Protocol v2 routes: the protocol fixes `error` as the message (internal). */
export const oipErrorBodySchema = z.object({
  error: z.string().describe('Human-readable message (the Open Inference Protocol fixes this string form)'),
  code: z.string().describe("Machine-readable code; its status is core's httpStatusOf(code)"),
  details: z.array(z.object({ path: z.string(), message: z.string() })).describe('Field-level problems'),
  requestId: z.string(),
});

const json = (schema: unknown) => ({ 'application/json': { schema: schema as z.ZodType } });

const errorResponses = (schema: z.ZodType): RouteConfig['responses'] => ({
  400: { description: 'Invalid input (field paths in `details`)', content: json(schema) },
  401: { description: 'Missing or invalid API key', content: json(schema) },
  403: { description: 'API key lacks the scope', content: json(schema) },
  404: { description: 'Unknown model or version', content: json(schema) },
  413: { description: 'Body too large', content: json(schema) },
  415: { description: 'Content type is not application/json', content: json(schema) },
  503: { description: 'Overloaded or shutting down (see `Retry-After`)', content: json(schema) },
});
const ERROR_RESPONSES = errorResponses(errorBodySchema);
const OIP_ERROR_RESPONSES = errorResponses(oipErrorBodySchema);

/** What the document describes (internal). */
export interface OpenApiInput extends OpenApiContext {
  title: string;
  version: string;
  /** Every mounted route definition: the built-in ones, then the extensions. */
  routes: readonly ServerRoute[];
}

/** Express `:param` / `*splat` path → OpenAPI `{param}` (internal). */
export function toOpenApiPath(path: string): string {
  return path.replace(/[:*]([A-Za-z_][\w]*)/g, '{$1}');
}

/** The operation a route definition describes with its zod schemas (internal). */
function operationOf(r: ServerRoute): OpenApiOperation {
  return {
    method: r.method,
    path: toOpenApiPath(r.path),
    tags: r.tags ?? ['extensions'],
    ...(r.summary ? { summary: r.summary } : {}),
    ...(r.description ? { description: r.description } : {}),
    request: {
      ...(r.params ? { params: r.params as unknown as z.ZodObject } : {}),
      ...(r.query ? { query: r.query as unknown as z.ZodObject } : {}),
      ...(r.body ? { body: { required: true, content: json(r.body) } } : {}),
    },
    responses: {
      [String(r.status ?? 200)]: { description: 'OK', ...(r.response ? { content: json(r.response) } : {}) },
    },
  };
}

/**
 * Builds the OpenAPI 3.1 document from the mounted route definitions only: each route's zod schemas, or the entries
 * it documents itself (`openapi`: one predict path per model from its signature); scoped routes list `bearerAuth`
 * when auth is on, and every operation lists the error responses.
 */
export function buildOpenApiDocument(input: OpenApiInput): Record<string, unknown> {
  const reg = new OpenAPIRegistry();
  const security = input.auth ? [{ bearerAuth: [] }] : undefined;
  if (input.auth) {
    reg.registerComponent('securitySchemes', 'bearerAuth', {
      type: 'http',
      scheme: 'bearer',
      description: 'An API key from `mlops keys create` (core API keys): `Authorization: Bearer mlops_…`',
    });
  }
  for (const r of input.routes) {
    const scoped = r.scope !== null && security !== undefined;
    for (const op of r.openapi ? r.openapi(input) : [operationOf(r)]) {
      reg.registerPath({
        ...op,
        ...(scoped ? { security } : {}),
        responses: { ...op.responses, ...(/^\/v2(\/|$)/.test(op.path) ? OIP_ERROR_RESPONSES : ERROR_RESPONSES) },
      });
    }
  }
  return new OpenApiGeneratorV31(reg.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: input.title, version: input.version },
  }) as unknown as Record<string, unknown>;
}

/** The document, built on first use and again after `invalidate()` (a route added, a hot-swap, auth turned on). */
export interface OpenApiCache {
  get(): Record<string, unknown>;
  invalidate(): void;
}

/** Caches {@link buildOpenApiDocument} over inputs read when it is rebuilt (internal). */
export function createOpenApiCache(input: () => OpenApiInput): OpenApiCache {
  let cached: Record<string, unknown> | undefined;
  return {
    get() {
      cached ??= buildOpenApiDocument(input());
      return cached;
    },
    invalidate() {
      cached = undefined;
    },
  };
}
