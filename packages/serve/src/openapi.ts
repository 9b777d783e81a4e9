import { OpenAPIRegistry, OpenApiGeneratorV31, type RouteConfig } from '@asteasolutions/zod-to-openapi';
import { pgJson, pgText, type Signature, signatureToJsonSchema } from '@mlops/core';
import { z } from 'zod';
import type { RouteDefinition } from './routes/route-definition.js';
import { v2InferRequestSchema, v2InferResponseSchema } from './v2/tensors.js';

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

/** The body of `POST /v1/feedback` (internal). Strings PostgreSQL cannot hold and labels over 64 deep are 400s. */
export const feedbackBodySchema = z.strictObject({
  predictionId: pgText().min(1).max(200).optional().describe('A prediction id from a predict response'),
  requestId: pgText()
    .min(1)
    .max(200)
    .optional()
    .describe('Applies to every prediction of the request (or only to `model`, or per model with `labels`)'),
  model: pgText()
    .min(1)
    .max(200)
    .optional()
    .describe("With requestId: apply only to this model's predictions of the request"),
  label: pgJson().optional().describe('Ground truth: a class name, a number, any JSON (at most 64 levels deep)'),
  labels: z
    .record(pgText().min(1).max(200), pgJson())
    .optional()
    .describe('With requestId, instead of label/value/model: one label per model, e.g. { "topic": "vpn" }'),
  value: z.number().optional().describe('A numeric outcome'),
  time: pgText().optional().describe('When the truth was observed (ISO 8601); now when left out'),
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

function stripSchema(s: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _drop, ...rest } = s;
  return rest;
}

/** What the document describes (internal). */
export interface OpenApiInput {
  title: string;
  version: string;
  auth: boolean;
  /** Whether `/v1/feedback` exists (the server has a store). */
  feedback: boolean;
  models: { name: string; version: string; signature: Signature }[];
  routes: readonly RouteDefinition[];
}

/** Express `:param` / `*splat` path → OpenAPI `{param}` (internal). */
export function toOpenApiPath(path: string): string {
  return path.replace(/[:*]([A-Za-z_][\w]*)/g, '{$1}');
}

/** Builds the OpenAPI 3.1 document: fixed endpoints, one predict path per model from its signature, extensions. */
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
  const nameParam = z.object({ name: z.string().describe('Model name') });
  const versionParams = nameParam.extend({ version: z.string().describe('Model version') });

  for (const m of input.models) {
    const inSchemas = signatureToJsonSchema(m.signature);
    const outRecord =
      m.signature.outputs.length > 0
        ? stripSchema(signatureToJsonSchema(m.signature, { part: 'outputs' }).record)
        : { type: 'object' };
    const request = {
      oneOf: [
        {
          type: 'object',
          properties: { instances: stripSchema(inSchemas.records) },
          required: ['instances'],
          additionalProperties: false,
        },
        {
          type: 'object',
          properties: { inputs: stripSchema(inSchemas.batch) },
          required: ['inputs'],
          additionalProperties: false,
        },
      ],
    };
    const response = {
      type: 'object',
      properties: {
        requestId: { type: 'string' },
        model: { type: 'string', const: m.name },
        version: { type: 'string' },
        predictions: {
          type: 'array',
          items: {
            type: 'object',
            properties: {
              id: { type: 'string', description: 'Prediction id (send it back with feedback)' },
              outputs: outRecord,
            },
            required: ['id', 'outputs'],
          },
        },
      },
      required: ['requestId', 'model', 'version', 'predictions'],
    };
    reg.registerPath({
      method: 'post',
      path: `/v1/models/${m.name}/predict`,
      tags: ['predict'],
      summary: `Predict with ${m.name} (version ${m.version})`,
      description:
        'Send records as `{ "instances": [ {...} ] }` or records/columns as `{ "inputs": ... }`. Fields follow the ' +
        "model's signature; every prediction gets an id for feedback.",
      ...(security ? { security } : {}),
      request: { body: { required: true, content: json(request) } },
      responses: { 200: { description: 'Predictions', content: json(response) }, ...ERROR_RESPONSES },
    });
  }

  const simple = (
    method: RouteConfig['method'],
    path: string,
    tags: string[],
    summary: string,
    extra: Partial<RouteConfig> = {},
  ) =>
    reg.registerPath({
      method,
      path,
      tags,
      summary,
      responses: { 200: { description: 'OK' }, ...ERROR_RESPONSES },
      ...extra,
    });
  simple('get', '/v1/models', ['predict'], 'List served models and their versions');
  simple('get', '/v1/models/{name}', ['predict'], "A model's version, alias and signature", {
    request: { params: nameParam },
  });
  if (input.feedback)
    reg.registerPath({
      method: 'post',
      path: '/v1/feedback',
      tags: ['feedback'],
      summary: 'Record ground truth for a prediction id, a request id, one model of a request, or per model',
      ...(security ? { security } : {}),
      request: { body: { required: true, content: json(feedbackBodySchema) } },
      responses: {
        201: {
          description: 'Recorded',
          content: json(
            z.object({
              id: z.string().describe('The first feedback row'),
              ids: z.array(z.string()).describe('Every feedback row written (one per model with `labels`)'),
              requestId: z.string().describe('This HTTP request id'),
            }),
          ),
        },
        ...ERROR_RESPONSES,
      },
    });
  simple('get', '/v2', ['v2'], 'Server metadata (Open Inference Protocol v2)');
  simple('get', '/v2/health/live', ['v2'], 'Liveness');
  simple('get', '/v2/health/ready', ['v2'], 'Readiness: 200 when every model is loaded, 503 otherwise');
  simple('get', '/v2/models/{name}', ['v2'], 'Model metadata: inputs and outputs as tensors', {
    request: { params: nameParam },
  });
  simple('get', '/v2/models/{name}/versions/{version}', ['v2'], 'Metadata of one version', {
    request: { params: versionParams },
  });
  simple('get', '/v2/models/{name}/ready', ['v2'], 'Model readiness', { request: { params: nameParam } });
  simple('get', '/v2/models/{name}/versions/{version}/ready', ['v2'], 'Version readiness', {
    request: { params: versionParams },
  });
  for (const [path, params] of [
    ['/v2/models/{name}/infer', nameParam],
    ['/v2/models/{name}/versions/{version}/infer', versionParams],
  ] as const) {
    reg.registerPath({
      method: 'post',
      path,
      tags: ['v2'],
      summary: 'Inference with tensors (Open Inference Protocol v2)',
      description: `Served models: ${input.models.map((m) => `\`${m.name}\``).join(', ') || 'none'}. Tensor names are the signature's input names; dimension 0 is the batch.`,
      ...(security ? { security } : {}),
      request: { params, body: { required: true, content: json(v2InferRequestSchema) } },
      responses: { 200: { description: 'Output tensors', content: json(v2InferResponseSchema) }, ...ERROR_RESPONSES },
    });
  }
  simple('get', '/metrics', ['operations'], 'Prometheus metrics (text exposition format)');
  simple('get', '/openapi.json', ['operations'], 'This document');
  simple('get', '/docs', ['operations'], 'API reference page rendered from this document');

  for (const r of input.routes) {
    const scoped = r.scope !== null && input.auth;
    reg.registerPath({
      method: r.method,
      path: toOpenApiPath(r.path),
      tags: r.tags ?? ['extensions'],
      ...(r.summary ? { summary: r.summary } : {}),
      ...(r.description ? { description: r.description } : {}),
      ...(scoped && security ? { security } : {}),
      request: {
        ...(r.params ? { params: r.params as unknown as z.ZodObject } : {}),
        ...(r.query ? { query: r.query as unknown as z.ZodObject } : {}),
        ...(r.body ? { body: { required: true, content: json(r.body) } } : {}),
      },
      responses: {
        [String(r.status ?? 200)]: {
          description: 'OK',
          ...(r.response ? { content: json(r.response) } : {}),
        },
        ...ERROR_RESPONSES,
      },
    });
  }

  return new OpenApiGeneratorV31(reg.definitions).generateDocument({
    openapi: '3.1.0',
    info: { title: input.title, version: input.version },
  }) as unknown as Record<string, unknown>;
}
