import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import type { OpenApiContext, OpenApiOperation, ServerRoute } from './routes/server-route.js';

/** The error body schema (internal). */
export const errorBodySchema = z.object({
  error: z.string().describe('Human-readable message'),
  code: z.string().describe('Machine-readable code, e.g. INVALID_INPUT, NOT_FOUND, OVERLOADED'),
  details: z
    .union([z.array(z.object({ path: z.string(), message: z.string() })), z.record(z.string(), z.unknown())])
    .optional()
    .describe('Field-level problems'),
  requestId: z.string().optional(),
});

const json = (schema: unknown) => ({ 'application/json': { schema: schema as z.ZodType } });

const ERROR_RESPONSES: RouteConfig['responses'] = {
  400: { description: 'Invalid input (field paths in `details`)', content: json(errorBodySchema) },
  401: { description: 'Missing or invalid API key', content: json(errorBodySchema) },
  403: { description: 'API key lacks the scope', content: json(errorBodySchema) },
  404: { description: 'Unknown model or version', content: json(errorBodySchema) },
  413: { description: 'Body too large', content: json(errorBodySchema) },
  415: { description: 'Content type is not application/json', content: json(errorBodySchema) },
  503: { description: 'Overloaded or shutting down (see `Retry-After`)', content: json(errorBodySchema) },
};

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
        responses: { ...op.responses, ...ERROR_RESPONSES },
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
